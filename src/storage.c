/* storage.c - see storage.h */
#include "storage.h"
