/* bandwidth.c - see bandwidth.h */
#include "bandwidth.h"

void
bt_band_init(struct bt_band *b, struct bt_band *parent)
{
	b->parent = parent;
	b->rate = 0;
	b->budget = 0;
}

void
bt_band_set_rate(struct bt_band *b, uint64_t rate)
{
	b->rate = rate;
	if (b->budget > rate * BT_BAND_BURST_S)
		b->budget = rate * BT_BAND_BURST_S;
}

void
bt_band_refill(struct bt_band *b, double dt)
{
	if (!b->rate)
		return;
	b->budget += b->rate * dt;
	if (b->budget > b->rate * BT_BAND_BURST_S)
		b->budget = b->rate * BT_BAND_BURST_S;
}

int
bt_band_limited(const struct bt_band *b)
{
	for (; b; b = b->parent)
		if (b->rate)
			return 1;
	return 0;
}

size_t
bt_band_allow(const struct bt_band *b)
{
	size_t allow = SIZE_MAX;

	for (; b; b = b->parent) {
		if (!b->rate)
			continue;
		if (b->budget <= 0)
			return 0;
		if (b->budget < (double)allow)
			allow = (size_t)b->budget;
	}
	return allow;
}

void
bt_band_use(struct bt_band *b, size_t n)
{
	for (; b; b = b->parent)
		if (b->rate)
			b->budget -= (double)n;
}
