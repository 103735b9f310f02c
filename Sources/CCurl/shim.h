#ifndef ASSAY_CCURL_SHIM_H
#define ASSAY_CCURL_SHIM_H
#include <curl/curl.h>

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
static inline CURLcode assay_curl_set_off_t(CURL *curl, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(curl, option, value);
}
typedef size_t (*assay_curl_data_callback)(char *, size_t, size_t, void *);
static inline CURLcode assay_curl_set_data_callback(CURL *curl, CURLoption option, assay_curl_data_callback value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode assay_curl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}
#endif
