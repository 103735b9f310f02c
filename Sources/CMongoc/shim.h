#ifndef ASSAY_CMONGOC_SHIM_H
#define ASSAY_CMONGOC_SHIM_H
#include <mongoc/mongoc.h>

/* bson_t and bson_iter_t are 128-byte aligned, so Swift sees pointers to them only as
   OpaquePointer and cannot size them: the store allocates them itself with these sizes. */
static inline size_t assay_bson_size(void) { return sizeof(bson_t); }
static inline size_t assay_bson_iter_size(void) { return sizeof(bson_iter_t); }

#endif
