/* announce.c - see announce.h */
#include "announce.h"
