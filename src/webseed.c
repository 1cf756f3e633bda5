/* webseed.c - see webseed.h */
#include "webseed.h"
