/* fuzz_tls.c - libFuzzer target: read the input as a CA bundle (PEM
 * certificates) into BearSSL trust anchors.  Any input must give a count
 * or an error, never a crash, a leak or an unbounded allocation. */
#include "err.h"
#include "tls.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_tls_anchors *a = NULL;
	int n = bt_tls_anchors_parse(data, size, &a);

	if (n > 0 && !a)
		abort();
	bt_tls_anchors_free(a);
	return 0;
}
