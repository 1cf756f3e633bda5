/* tls.h - TLS client over BearSSL (placeholder, being written) */
#ifndef BT_TLS_H
#define BT_TLS_H
#endif
