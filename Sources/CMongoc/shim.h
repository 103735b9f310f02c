#ifndef ASSAY_CMONGOC_SHIM_H
#define ASSAY_CMONGOC_SHIM_H
#include <mongoc/mongoc.h>
#endif
