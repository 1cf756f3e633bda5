/* tls.c - see tls.h */
#define _GNU_SOURCE	/* MSG_NOSIGNAL */
#include "tls.h"
#include "buf.h"
#include "err.h"
#include "fileio.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- trust anchors ---- */

struct bt_tls_anchors {
	struct bt_tls_anchors *next;	/* the cache list */
	char *path;			/* cache key, NULL when not cached */
	br_x509_trust_anchor *ta;
	size_t n;
	unsigned char *blob;		/* every DN and key byte */
};

/* One anchor while parsing: offsets into the blob, which still moves. */
struct ta_rec {
	size_t dn_off, dn_len;
	size_t a_off, a_len;	/* RSA modulus, or EC point */
	size_t b_off, b_len;	/* RSA exponent */
	int curve;
	unsigned char key_type;
};

struct ta_parser {
	br_pem_decoder_context pc;
	br_x509_decoder_context dc;
	struct bt_buf blob;
	struct ta_rec *rec;
	size_t nrec, caprec;
	size_t dn_start;
	int in_cert;
	int err;		/* BT_E_NOMEM latched */
};

static void
dn_sink(void *ctx, const void *p, size_t n)
{
	struct ta_parser *ps = ctx;

	bt_buf_add(&ps->blob, p, n);
}

static void
der_sink(void *ctx, const void *p, size_t n)
{
	br_x509_decoder_context *dc = ctx;

	/* BearSSL 0.6's decoder must not be pushed more bytes once it has
	 * failed or finished: its machine runs on and crashes (found by
	 * fuzz_tls).  Bytes after that point are of no use anyway. */
	if (dc->err != 0 || dc->decoded)
		return;
	br_x509_decoder_push(dc, p, n);
}

static void
cert_end(struct ta_parser *ps)
{
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&ps->dc);
	struct ta_rec r;

	memset(&r, 0, sizeof(r));
	r.dn_off = ps->dn_start;
	r.dn_len = ps->blob.len - ps->dn_start;
	if (!pk || ps->blob.err || r.dn_len == 0 || ps->nrec >= BT_TLS_ANCHORS_MAX)
		goto skip;
	r.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		r.a_off = ps->blob.len;
		r.a_len = pk->key.rsa.nlen;
		bt_buf_add(&ps->blob, pk->key.rsa.n, pk->key.rsa.nlen);
		r.b_off = ps->blob.len;
		r.b_len = pk->key.rsa.elen;
		bt_buf_add(&ps->blob, pk->key.rsa.e, pk->key.rsa.elen);
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		r.curve = pk->key.ec.curve;
		r.a_off = ps->blob.len;
		r.a_len = pk->key.ec.qlen;
		bt_buf_add(&ps->blob, pk->key.ec.q, pk->key.ec.qlen);
	} else {
		goto skip;
	}
	if (r.a_len == 0 || ps->blob.err)
		goto skip;
	if (ps->nrec == ps->caprec) {
		size_t nc = ps->caprec ? ps->caprec * 2 : 64;
		struct ta_rec *nr;

		if (nc > BT_TLS_ANCHORS_MAX)
			nc = BT_TLS_ANCHORS_MAX;
		nr = realloc(ps->rec, nc * sizeof(*nr));
		if (!nr) {
			ps->err = BT_E_NOMEM;
			goto skip;
		}
		ps->rec = nr;
		ps->caprec = nc;
	}
	ps->rec[ps->nrec++] = r;
	return;
skip:
	if (ps->blob.err == BT_E_NOMEM)
		ps->err = BT_E_NOMEM;
	ps->blob.err = 0;
	ps->blob.len = ps->dn_start;
}

static void
parser_init(struct ta_parser *ps)
{
	memset(ps, 0, sizeof(*ps));
	br_pem_decoder_init(&ps->pc);
	bt_buf_init(&ps->blob, 0);
}

static void
parser_feed(struct ta_parser *ps, const uint8_t *p, size_t n)
{
	while (n > 0 && !ps->err) {
		size_t k = br_pem_decoder_push(&ps->pc, p, n);
		int ev = br_pem_decoder_event(&ps->pc);

		p += k;
		n -= k;
		switch (ev) {
		case BR_PEM_BEGIN_OBJ: {
			const char *name = br_pem_decoder_name(&ps->pc);

			ps->in_cert = strcmp(name, "CERTIFICATE") == 0 ||
				strcmp(name, "X509 CERTIFICATE") == 0;
			if (ps->in_cert) {
				ps->dn_start = ps->blob.len;
				br_x509_decoder_init(&ps->dc, dn_sink, ps);
				br_pem_decoder_setdest(&ps->pc, der_sink, &ps->dc);
			} else {
				br_pem_decoder_setdest(&ps->pc, NULL, NULL);
			}
			break;
		}
		case BR_PEM_END_OBJ:
			if (ps->in_cert)
				cert_end(ps);
			ps->in_cert = 0;
			break;
		case BR_PEM_ERROR:
			if (ps->in_cert)
				ps->blob.len = ps->dn_start;
			ps->in_cert = 0;
			break;
		default:
			if (k == 0)
				return;		/* cannot happen: no event, no progress */
		}
	}
}

static void
parser_drop(struct ta_parser *ps)
{
	bt_buf_free(&ps->blob);
	free(ps->rec);
}

/* Turn the records into anchors. */
static int
parser_finish(struct ta_parser *ps, struct bt_tls_anchors **out)
{
	struct bt_tls_anchors *a;
	unsigned char *blob;

	*out = NULL;
	parser_feed(ps, (const uint8_t *)"\n", 1);	/* end a last line */
	if (ps->err) {
		parser_drop(ps);
		return ps->err;
	}
	if (ps->nrec == 0) {
		parser_drop(ps);
		return BT_E_NOENT;
	}
	a = calloc(1, sizeof(*a));
	if (a)
		a->ta = calloc(ps->nrec, sizeof(*a->ta));
	/* Shrink the blob to its size: it never moves again. */
	blob = a && a->ta ? realloc(ps->blob.p, ps->blob.len) : NULL;
	if (!blob) {
		if (a)
			free(a->ta);
		free(a);
		parser_drop(ps);
		return BT_E_NOMEM;
	}
	ps->blob.p = NULL;
	a->blob = blob;
	a->n = ps->nrec;
	for (size_t i = 0; i < ps->nrec; i++) {
		const struct ta_rec *r = &ps->rec[i];
		br_x509_trust_anchor *t = &a->ta[i];

		t->dn.data = blob + r->dn_off;
		t->dn.len = r->dn_len;
		t->flags = BR_X509_TA_CA;
		t->pkey.key_type = r->key_type;
		if (r->key_type == BR_KEYTYPE_RSA) {
			t->pkey.key.rsa.n = blob + r->a_off;
			t->pkey.key.rsa.nlen = r->a_len;
			t->pkey.key.rsa.e = blob + r->b_off;
			t->pkey.key.rsa.elen = r->b_len;
		} else {
			t->pkey.key.ec.curve = r->curve;
			t->pkey.key.ec.q = blob + r->a_off;
			t->pkey.key.ec.qlen = r->a_len;
		}
	}
	parser_drop(ps);
	*out = a;
	return (int)a->n;
}

int
bt_tls_anchors_parse(const uint8_t *p, size_t n, struct bt_tls_anchors **out)
{
	struct ta_parser *ps;
	int rc;

	if (!out)
		return BT_E_INVAL;
	*out = NULL;
	if (!p && n)
		return BT_E_INVAL;
	if (n > BT_TLS_CA_FILE_MAX)
		return BT_E_LIMIT;
	ps = malloc(sizeof(*ps));
	if (!ps)
		return BT_E_NOMEM;
	parser_init(ps);
	parser_feed(ps, p, n);
	rc = parser_finish(ps, out);
	free(ps);
	return rc;
}

void
bt_tls_anchors_free(struct bt_tls_anchors *a)
{
	if (!a)
		return;
	free(a->ta);
	free(a->blob);
	free(a->path);
	free(a);
}

size_t
bt_tls_anchors_count(const struct bt_tls_anchors *a)
{
	return a ? a->n : 0;
}

const char *
bt_tls_ca_path(const char *path)
{
	const char *env;

	if (path && *path)
		return path;
	env = getenv(BT_TLS_CA_ENV);
	if (env && *env)
		return env;
	return BT_TLS_CA_DEFAULT;
}

static struct bt_tls_anchors *cache;
static unsigned ncache;

/* Read and parse a bundle file.  Only a regular file: a FIFO or a
 * device named by mistake must neither block nor feed us forever. */
static int
load_file(const char *path, struct bt_tls_anchors **out, const char **why)
{
	struct stat st;
	uint8_t *p;
	size_t n;
	int rc;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		rc = BT_E_IO;
	} else {
		rc = bt_file_read(path, BT_TLS_CA_FILE_MAX, &p, &n);
	}
	if (rc == 0) {
		rc = bt_tls_anchors_parse(p, n, out);
		free(p);
	}
	if (rc == BT_E_IO)
		*why = errno == ENOENT ? "CA bundle not found" : "CA bundle not readable";
	else if (rc == BT_E_LIMIT)
		*why = "CA bundle too large";
	else if (rc == BT_E_NOENT)
		*why = "no certificates in CA bundle";
	else if (rc < 0)
		*why = "out of memory";
	return rc;
}

int
bt_tls_anchors_get(const char *path, const struct bt_tls_anchors **out,
	const char **why)
{
	const char *p = bt_tls_ca_path(path), *dummy;
	struct bt_tls_anchors *a;
	size_t plen;
	int rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!out)
		return BT_E_INVAL;
	*out = NULL;
	plen = strnlen(p, BT_TLS_PATH_MAX);
	if (plen >= BT_TLS_PATH_MAX) {
		*why = "CA bundle path too long";
		return BT_E_INVAL;
	}
	for (a = cache; a; a = a->next)
		if (strcmp(a->path, p) == 0) {
			*out = a;
			return (int)a->n;
		}
	if (ncache >= BT_TLS_CACHE_MAX) {
		*why = "too many CA bundles";
		return BT_E_LIMIT;
	}
	rc = load_file(p, &a, why);
	if (rc < 0)
		return rc;
	a->path = malloc(plen + 1);
	if (!a->path) {
		bt_tls_anchors_free(a);
		*why = "out of memory";
		return BT_E_NOMEM;
	}
	memcpy(a->path, p, plen + 1);
	a->next = cache;
	cache = a;
	ncache++;
	*out = a;
	return rc;
}

void
bt_tls_cache_clear(void)
{
	while (cache) {
		struct bt_tls_anchors *a = cache;

		cache = a->next;
		bt_tls_anchors_free(a);
	}
	ncache = 0;
}

/* ---- connections ---- */

struct bt_tls {
	br_ssl_client_context sc;
	br_x509_minimal_context xc;
	int started;
	int ready;		/* the handshake completed */
	int eof;		/* the transport ended */
	const char *why;	/* our own failure text, or NULL */
	/* An IP-literal server: BearSSL only matches dNSName entries, so
	 * the minimal engine runs without a name and this wrapper (its
	 * vtable in ipv) then looks for the address among the iPAddress
	 * entries of the end certificate, kept in ee. */
	const br_x509_class *ipv;
	uint8_t ip[16];
	size_t iplen;
	uint8_t *ee;
	size_t eelen, eecap;
	int ee_bad;		/* too large, or no memory: no match */
	unsigned certno;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* ---- IP-literal servers: subjectAltName iPAddress ---- */

#define EE_MAX	16384	/* largest end certificate kept for the check */

/* The next DER element of *p[0..*n): tag (one byte, low tag numbers
 * only), content c[0..*cl); *p and *n move past it.  0, or -1 when
 * malformed or truncated. */
static int
der_next(const uint8_t **p, size_t *n, unsigned *tag, const uint8_t **c, size_t *cl)
{
	const uint8_t *q = *p;
	size_t left = *n, len, i = 2;

	if (left < 2 || (q[0] & 0x1f) == 0x1f)
		return -1;
	*tag = q[0];
	len = q[1];
	if (len & 0x80) {
		unsigned k = len & 0x7f;

		if (k == 0 || k > 3 || left - 2 < k)
			return -1;
		len = 0;
		for (unsigned j = 0; j < k; j++)
			len = len << 8 | q[2 + j];
		i += k;
	}
	if (len > left - i)
		return -1;
	*c = q + i;
	*cl = len;
	*p = q + i + len;
	*n = left - i - len;
	return 0;
}

/* The certificate der[0..n) lists ip[0..iplen) as an iPAddress of its
 * subjectAltName (OID 2.5.29.17). */
static int
san_has_ip(const uint8_t *der, size_t n, const uint8_t *ip, size_t iplen)
{
	const uint8_t *cert, *tbs, *el, *exts;
	size_t certl, tbsl, ell, extsl;
	unsigned tag;

	if (der_next(&der, &n, &tag, &cert, &certl) || tag != 0x30 ||
		der_next(&cert, &certl, &tag, &tbs, &tbsl) || tag != 0x30)
		return 0;
	do {	/* to the extensions: [3] EXPLICIT SEQUENCE OF Extension */
		if (tbsl == 0 || der_next(&tbs, &tbsl, &tag, &el, &ell))
			return 0;
	} while (tag != 0xa3);
	if (der_next(&el, &ell, &tag, &exts, &extsl) || tag != 0x30)
		return 0;
	while (extsl > 0) {
		const uint8_t *x, *v, *g, *nm;
		size_t xl, vl, gl, nl;

		if (der_next(&exts, &extsl, &tag, &x, &xl) || tag != 0x30 ||
			der_next(&x, &xl, &tag, &v, &vl) || tag != 0x06)
			return 0;
		if (vl != 3 || memcmp(v, "\x55\x1d\x11", 3) != 0)
			continue;
		if (der_next(&x, &xl, &tag, &v, &vl))
			return 0;
		if (tag == 0x01 && der_next(&x, &xl, &tag, &v, &vl))	/* critical */
			return 0;
		if (tag != 0x04 || der_next(&v, &vl, &tag, &g, &gl) || tag != 0x30)
			return 0;
		while (gl > 0) {
			if (der_next(&g, &gl, &tag, &nm, &nl))
				return 0;
			if (tag == 0x87 && nl == iplen && memcmp(nm, ip, iplen) == 0)
				return 1;
		}
	}
	return 0;
}

static struct bt_tls *
ipv_tls(const br_x509_class **ctx)
{
	return (struct bt_tls *)(void *)((char *)ctx - offsetof(struct bt_tls, ipv));
}

static void
ipv_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct bt_tls *t = ipv_tls(ctx);

	(void)server_name;
	t->certno = 0;
	t->eelen = 0;
	t->ee_bad = 0;
	t->xc.vtable->start_chain(&t->xc.vtable, NULL);
}

static void
ipv_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct bt_tls *t = ipv_tls(ctx);

	if (t->certno == 0) {
		if (length == 0 || length > EE_MAX) {
			t->ee_bad = 1;
		} else if (t->eecap < length) {
			uint8_t *p = realloc(t->ee, length);

			if (p) {
				t->ee = p;
				t->eecap = length;
			} else {
				t->ee_bad = 1;
			}
		}
	}
	t->xc.vtable->start_cert(&t->xc.vtable, length);
}

static void
ipv_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct bt_tls *t = ipv_tls(ctx);

	if (t->certno == 0 && !t->ee_bad) {
		if (t->ee && len <= t->eecap - t->eelen) {
			memcpy(t->ee + t->eelen, buf, len);
			t->eelen += len;
		} else {
			t->ee_bad = 1;
		}
	}
	t->xc.vtable->append(&t->xc.vtable, buf, len);
}

static void
ipv_end_cert(const br_x509_class **ctx)
{
	struct bt_tls *t = ipv_tls(ctx);

	t->certno++;
	t->xc.vtable->end_cert(&t->xc.vtable);
}

static unsigned
ipv_end_chain(const br_x509_class **ctx)
{
	struct bt_tls *t = ipv_tls(ctx);
	unsigned r = t->xc.vtable->end_chain(&t->xc.vtable);
	int ok = t->ee && !t->ee_bad && san_has_ip(t->ee, t->eelen, t->ip, t->iplen);

	free(t->ee);
	t->ee = NULL;
	t->eelen = t->eecap = 0;
	if (r)
		return r;
	return ok ? 0 : BR_ERR_X509_BAD_SERVER_NAME;
}

static const br_x509_pkey *
ipv_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct bt_tls *t = (const struct bt_tls *)(const void *)((const char *)ctx -
		offsetof(struct bt_tls, ipv));

	return t->xc.vtable->get_pkey(&t->xc.vtable, usages);
}

static const br_x509_class ipv_class = {
	sizeof(const br_x509_class *),
	ipv_start_chain,
	ipv_start_cert,
	ipv_append,
	ipv_end_cert,
	ipv_end_chain,
	ipv_get_pkey,
};

size_t
bt_tls_size(void)
{
	return sizeof(struct bt_tls);
}

int
bt_tls_new(struct bt_tls **out)
{
	struct bt_tls *t;

	if (!out)
		return BT_E_INVAL;
	t = malloc(sizeof(*t));
	*out = t;
	if (!t)
		return BT_E_NOMEM;
	t->started = 0;
	t->ready = 0;
	t->eof = 0;
	t->why = NULL;
	t->ee = NULL;
	t->eelen = t->eecap = 0;
	t->ee_bad = 0;
	return 0;
}

void
bt_tls_free(struct bt_tls *t)
{
	if (t)
		free(t->ee);
	free(t);
}

int
bt_tls_start(struct bt_tls *t, const struct bt_tls_anchors *a,
	const char *server_name)
{
	if (!t || !a || a->n == 0)
		return BT_E_INVAL;
	if (server_name && strnlen(server_name, 256) > 255)
		return BT_E_INVAL;
	br_ssl_client_init_full(&t->sc, &t->xc, a->ta, a->n);
	br_ssl_engine_set_versions(&t->sc.eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(&t->sc.eng, t->iobuf, sizeof(t->iobuf), 1);
	t->started = 1;
	t->ready = 0;
	t->eof = 0;
	t->why = NULL;
	free(t->ee);
	t->ee = NULL;
	t->eelen = t->eecap = 0;
	t->iplen = 0;
	if (server_name && inet_pton(AF_INET, server_name, t->ip) == 1)
		t->iplen = 4;
	else if (server_name && inet_pton(AF_INET6, server_name, t->ip) == 1)
		t->iplen = 16;
	if (t->iplen) {
		/* Checked by the wrapper; no SNI for an address (RFC 6066). */
		t->ipv = &ipv_class;
		br_ssl_engine_set_x509(&t->sc.eng, &t->ipv);
		server_name = NULL;
	}
	if (!br_ssl_client_reset(&t->sc, server_name && *server_name ? server_name : NULL,
		0)) {
		t->why = "no randomness for TLS";
		return BT_E_TLS;
	}
	return 0;
}

/* The engine state, noting the end of the handshake on the way. */
static unsigned
state(struct bt_tls *t)
{
	unsigned s;

	if (!t->started)
		return BR_SSL_CLOSED;
	s = br_ssl_engine_current_state(&t->sc.eng);
	if (s & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))
		t->ready = 1;
	return s;
}

int
bt_tls_ready(const struct bt_tls *t)
{
	return t->ready || (t->started && (br_ssl_engine_current_state(&t->sc.eng) &
		(BR_SSL_SENDAPP | BR_SSL_RECVAPP)));
}

int
bt_tls_code(const struct bt_tls *t)
{
	return t && t->started ? br_ssl_engine_last_error(&t->sc.eng) : 0;
}

/* Failed: an engine error or one of ours. */
static int
failed(struct bt_tls *t)
{
	if (t->why || !t->started)
		return 1;
	return (state(t) & BR_SSL_CLOSED) && br_ssl_engine_last_error(&t->sc.eng);
}

int
bt_tls_write(struct bt_tls *t, const void *p, size_t n)
{
	unsigned s = state(t);
	unsigned char *buf;
	size_t len;

	if (failed(t))
		return BT_E_TLS;
	if (s & BR_SSL_CLOSED) {
		t->why = "connection closed";
		return BT_E_TLS;
	}
	if (!(s & BR_SSL_SENDAPP)) {
		if (t->eof && !(s & BR_SSL_SENDREC)) {
			t->why = t->ready ? "connection closed" :
				"connection closed during handshake";
			return BT_E_TLS;
		}
		return BT_E_PARTIAL;
	}
	if (n == 0)
		return 0;
	buf = br_ssl_engine_sendapp_buf(&t->sc.eng, &len);
	if (len > n)
		len = n;
	memcpy(buf, p, len);
	br_ssl_engine_sendapp_ack(&t->sc.eng, len);
	return (int)len;
}

void
bt_tls_flush(struct bt_tls *t)
{
	if (t->started)
		br_ssl_engine_flush(&t->sc.eng, 0);
}

int
bt_tls_peek(struct bt_tls *t, const uint8_t **p)
{
	unsigned s = state(t);
	size_t len;

	*p = NULL;
	if (s & BR_SSL_RECVAPP) {
		*p = br_ssl_engine_recvapp_buf(&t->sc.eng, &len);
		if (len > 1u << 30)
			len = 1u << 30;
		return (int)len;
	}
	if (failed(t))
		return BT_E_TLS;
	if (s & BR_SSL_CLOSED)
		return 0;	/* close_notify */
	if (t->eof && !(s & BR_SSL_SENDREC)) {
		if (!t->ready) {
			t->why = "connection closed during handshake";
			return BT_E_TLS;
		}
		return 0;
	}
	return BT_E_PARTIAL;
}

void
bt_tls_consume(struct bt_tls *t, size_t n)
{
	size_t len;

	if (!n || !(state(t) & BR_SSL_RECVAPP))
		return;
	br_ssl_engine_recvapp_buf(&t->sc.eng, &len);
	br_ssl_engine_recvapp_ack(&t->sc.eng, n < len ? n : len);
}

int
bt_tls_read(struct bt_tls *t, void *buf, size_t n)
{
	const uint8_t *p;
	int k = bt_tls_peek(t, &p);

	if (k <= 0)
		return k;
	if ((size_t)k > n)
		k = (int)n;
	memcpy(buf, p, (size_t)k);
	bt_tls_consume(t, (size_t)k);
	return k;
}

int
bt_tls_clean_close(const struct bt_tls *t)
{
	return t->started && !t->why &&
		(br_ssl_engine_current_state(&t->sc.eng) & BR_SSL_CLOSED) &&
		br_ssl_engine_last_error(&t->sc.eng) == 0;
}

const uint8_t *
bt_tls_out(struct bt_tls *t, size_t *len)
{
	*len = 0;
	if (!(state(t) & BR_SSL_SENDREC))
		return NULL;
	return br_ssl_engine_sendrec_buf(&t->sc.eng, len);
}

void
bt_tls_out_done(struct bt_tls *t, size_t n)
{
	size_t len;

	if (!n || !(state(t) & BR_SSL_SENDREC))
		return;
	br_ssl_engine_sendrec_buf(&t->sc.eng, &len);
	br_ssl_engine_sendrec_ack(&t->sc.eng, n < len ? n : len);
}

uint8_t *
bt_tls_in(struct bt_tls *t, size_t *len)
{
	*len = 0;
	if (t->eof || !(state(t) & BR_SSL_RECVREC))
		return NULL;
	return br_ssl_engine_recvrec_buf(&t->sc.eng, len);
}

void
bt_tls_in_done(struct bt_tls *t, size_t n)
{
	size_t len;

	if (!n || t->eof || !(state(t) & BR_SSL_RECVREC))
		return;
	br_ssl_engine_recvrec_buf(&t->sc.eng, &len);
	br_ssl_engine_recvrec_ack(&t->sc.eng, n < len ? n : len);
}

void
bt_tls_in_eof(struct bt_tls *t)
{
	t->eof = 1;
}

#define PUMP_ROUNDS	64

int
bt_tls_pump(struct bt_tls *t, int fd)
{
	int wblock = 0, rblock = 0;

	for (int it = 0; it < PUMP_ROUNDS && !failed(t); it++) {
		int moved = 0;
		uint8_t *p;
		size_t len;
		ssize_t k;

		if (!wblock && (p = (uint8_t *)bt_tls_out(t, &len)) != NULL) {
			k = send(fd, p, len, MSG_NOSIGNAL);
			if (k > 0) {
				bt_tls_out_done(t, (size_t)k);
				moved = 1;
			} else if (k < 0 && errno == EINTR) {
				moved = 1;
			} else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				wblock = 1;
			} else if (t->eof) {
				/* The peer is gone: what is left (a closure
				 * alert) cannot matter any more. */
				bt_tls_out_done(t, len);
				moved = 1;
			} else {
				return BT_E_IO;
			}
		}
		if (!rblock && (p = bt_tls_in(t, &len)) != NULL) {
			k = read(fd, p, len);
			if (k > 0) {
				bt_tls_in_done(t, (size_t)k);
				moved = 1;
			} else if (k == 0) {
				t->eof = 1;
				moved = 1;
			} else if (errno == EINTR) {
				moved = 1;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				rblock = 1;
			} else {
				return BT_E_IO;
			}
		}
		if (!moved)
			break;
	}
	return failed(t) ? BT_E_TLS : 0;
}

unsigned
bt_tls_want(const struct bt_tls *t)
{
	unsigned s, w = 0;

	if (!t->started || t->why)
		return 0;
	s = br_ssl_engine_current_state(&t->sc.eng);
	if (s & BR_SSL_CLOSED)
		return 0;
	if (s & BR_SSL_SENDREC)
		w |= BT_TLS_WANT_WRITE;
	if ((s & BR_SSL_RECVREC) && !t->eof)
		w |= BT_TLS_WANT_READ;
	return w;
}

/* ---- errors ---- */

/* A specific text, or NULL for the generic ones. */
static const char *
specific(int e)
{
	switch (e) {
	case BR_ERR_X509_NOT_TRUSTED:		return "certificate not trusted";
	case BR_ERR_X509_BAD_SERVER_NAME:	return "host name mismatch";
	case BR_ERR_X509_EXPIRED:		return "certificate expired or not yet valid";
	case BR_ERR_X509_TIME_UNKNOWN:		return "current time unknown";
	case BR_ERR_X509_NOT_CA:		return "certificate issuer is not a CA";
	case BR_ERR_X509_DN_MISMATCH:		return "certificate chain out of order";
	case BR_ERR_X509_BAD_SIGNATURE:		return "bad certificate signature";
	case BR_ERR_X509_WEAK_PUBLIC_KEY:	return "certificate key too weak";
	case BR_ERR_X509_EMPTY_CHAIN:		return "no server certificate";
	case BR_ERR_X509_CRITICAL_EXTENSION:	return "unsupported critical certificate extension";
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
	case BR_ERR_WRONG_KEY_USAGE:		return "certificate key usage forbids TLS";
	case BR_ERR_X509_UNSUPPORTED:
	case BR_ERR_X509_WRONG_KEY_TYPE:
	case BR_ERR_INVALID_ALGORITHM:		return "unsupported certificate algorithm";
	case BR_ERR_X509_LIMIT_EXCEEDED:	return "certificate too large";
	case BR_ERR_UNSUPPORTED_VERSION:	return "not TLS 1.2, or not a TLS server";
	case BR_ERR_BAD_VERSION:
	case BR_ERR_BAD_LENGTH:
	case BR_ERR_UNKNOWN_TYPE:		return "not a TLS server or bad record";
	case BR_ERR_TOO_LARGE:			return "TLS record too large";
	case BR_ERR_BAD_MAC:			return "bad record MAC";
	case BR_ERR_NO_RANDOM:			return "no randomness for TLS";
	case BR_ERR_BAD_CIPHER_SUITE:		return "no common cipher suite";
	case BR_ERR_BAD_SIGNATURE:		return "bad server key exchange signature";
	}
	if (e >= BR_ERR_SEND_FATAL_ALERT)
		return NULL;
	if (e >= BR_ERR_RECV_FATAL_ALERT)
		return "server sent a fatal alert";
	if (e >= BR_ERR_X509_OK && e < 64)
		return "bad certificate";
	return NULL;
}

const char *
bt_tls_strerror(int br_err)
{
	const char *s;

	if (br_err == 0)
		return "";
	s = specific(br_err);
	return s ? s : "TLS protocol error";
}

const char *
bt_tls_why(const struct bt_tls *t)
{
	int e;
	const char *s;

	if (!t)
		return NULL;
	if (t->why)
		return t->why;
	e = bt_tls_code(t);
	if (e == 0)
		return NULL;
	s = specific(e);
	if (s)
		return s;
	return bt_tls_ready(t) ? "TLS protocol error" : "handshake failed";
}
