#ifndef ASSAY_CCURL_SHIM_H
#define ASSAY_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_global_init's flag is a macro expression Swift does not import. */
static inline CURLcode assay_curl_global_init(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* curl_easy_setopt is variadic, which Swift does not import: one typed setter per kind. */
static inline CURLcode assay_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode assay_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode assay_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
/* Blob options (CURLOPT_CAINFO_BLOB, CURLOPT_SSLCERT_BLOB, CURLOPT_SSLKEY_BLOB) take a
   struct curl_blob; with CURL_BLOB_COPY libcurl copies the bytes, so they need not outlive the call. */
static inline CURLcode assay_curl_set_blob(CURL *curl, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = length;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(curl, option, &blob);
}
static inline CURLcode assay_curl_set_off_t(CURL *curl, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(curl, option, value);
}

/* CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION and CURLOPT_READFUNCTION share this shape. */
typedef size_t (*assay_curl_data_callback)(char *, size_t, size_t, void *);
static inline CURLcode assay_curl_set_data_callback(CURL *curl, CURLoption option, assay_curl_data_callback value) {
    return curl_easy_setopt(curl, option, value);
}

/* CURLOPT_DEBUGFUNCTION: the SMTP mailer reads the server's replies through it. */
typedef int (*assay_curl_debug_callback)(CURL *, curl_infotype, char *, size_t, void *);
static inline CURLcode assay_curl_set_debug_callback(CURL *curl, assay_curl_debug_callback value) {
    return curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, value);
}

/* CURLOPT_XFERINFOFUNCTION: bytes received and sent so far, for progress bars. */
typedef int (*assay_curl_xferinfo_callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode assay_curl_set_xferinfo_callback(CURL *curl, assay_curl_xferinfo_callback value) {
    return curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, value);
}

static inline CURLcode assay_curl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}
#endif
