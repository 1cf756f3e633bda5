/* le.h - little-endian integers in byte buffers, as SipHash reads its
 * message words.  Byte by byte, so the host's byte order and alignment
 * do not matter (compilers turn it into one load on little-endian hosts). */
#ifndef BT_LE_H
#define BT_LE_H

#include <stdint.h>

static inline uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

#endif
