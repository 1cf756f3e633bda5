/* seedlimit.c - see seedlimit.h */
#include "seedlimit.h"
#include "dl_opts.h"

#include <string.h>

/* Minutes (checked: 0 .. 1e9) -> milliseconds, a limit above 0 at least 1. */
static uint64_t
minutes_ms(double m)
{
	double ms = m * 60000.0 + 0.5;

	if (!(m > 0))
		return 0;
	return ms < 1 ? 1 : (uint64_t)ms;
}

void
bt_seedlimit_init(struct bt_seedlimit *s, const union bt_optv *v)
{
	memset(s, 0, sizeof(*s));
	s->ratio = v[DL_SEED_RATIO].f > 0 ? v[DL_SEED_RATIO].f : 0;
	s->time_ms = minutes_ms(v[DL_SEED_TIME].f);
	s->idle_ms = minutes_ms(v[DL_SEED_IDLE].f);
}

int
bt_seedlimit_any(const struct bt_seedlimit *s)
{
	return s->ratio > 0 || s->time_ms || s->idle_ms;
}

void
bt_seedlimit_start(struct bt_seedlimit *s, uint64_t uploaded, uint64_t now_ms)
{
	s->seeding = 1;
	s->since_ms = s->up_ms = now_ms;
	s->last_up = uploaded;
}

const char *
bt_seedlimit_check(struct bt_seedlimit *s, uint64_t uploaded, uint64_t total, uint64_t now_ms)
{
	if (!s->seeding)
		bt_seedlimit_start(s, uploaded, now_ms);
	if (uploaded != s->last_up) {
		s->last_up = uploaded;
		s->up_ms = now_ms;
	}
	if (s->ratio > 0 && total && (double)uploaded >= s->ratio * (double)total)
		return "share ratio reached";
	if (s->time_ms && now_ms - s->since_ms >= s->time_ms)
		return "seeding time reached";
	if (s->idle_ms && now_ms - s->up_ms >= s->idle_ms)
		return "idle seeding time reached";
	return NULL;
}
