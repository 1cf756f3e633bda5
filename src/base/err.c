/* err.c - see err.h */
#include "err.h"

const char *
bt_strerror(int code)
{
	switch (code) {
	case BT_OK: return "success";
	case BT_E_NOMEM: return "out of memory";
	case BT_E_PARSE: return "malformed data";
	case BT_E_PARTIAL: return "truncated data";
	case BT_E_LIMIT: return "limit exceeded";
	case BT_E_IO: return "input/output error";
	case BT_E_PROTO: return "protocol error";
	case BT_E_INVAL: return "invalid data";
	case BT_E_EXIST: return "already exists";
	case BT_E_NOENT: return "not found";
	case BT_E_TLS: return "TLS error";
	case BT_E_UNSUPPORTED: return "not supported";
	}
	return "unknown error";
}
