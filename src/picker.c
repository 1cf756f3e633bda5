/* picker.c - see picker.h */
#include "picker.h"
