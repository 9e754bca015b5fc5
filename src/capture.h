/*
 * Capture files (libpcap, raw IP link type): each proxied flow as two
 * synthesized TCP/IP legs, the client's (client <-> original destination)
 * and the server's (our upstream socket <-> server), so that a capture
 * shows the bytes before and after the middlebox acted. In NFQUEUE mode
 * the packets themselves are written instead.
 *
 * The relay calls in only when a flow has c->cap set: with capture off
 * every hook costs one predictable branch.
 */
#ifndef PROXYSIM_CAPTURE_H
#define PROXYSIM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct evbuffer;

/* file: every flow in one capture; dir: DIR/flow-ID.pcap per flow. Either
 * may be NULL. 0, or -1 with a message in err. */
int	capture_init(const char *file, const char *dir, char *err,
	    size_t errlen);
int	capture_enabled(void);
void	capture_flush(void);
void	capture_shutdown(void);

/* The client leg opens (accept); the server leg (upstream connected). */
void	capture_open(struct conn *);
void	capture_connected(struct conn *);
/* s sent these bytes (a read we did ourselves, past the bufferevent). */
void	capture_rx(struct side *, const void *, size_t);
/* We sent s the first n bytes of buf (a write past the bufferevent). */
void	capture_tx(struct side *, struct evbuffer *, size_t);
/* s sent FIN; we sent s FIN. */
void	capture_eof(struct side *);
void	capture_shut(struct side *);
/* The flow ends: RST or FIN on the legs still open; frees c->cap. */
void	capture_close(struct conn *, enum conn_reason, int rst_cli,
	    int rst_srv);

/* NFQUEUE mode: a flow's own file under --pcap-dir (NULL without one),
 * and one IP packet as it is, to -w's file and to the flow's. */
struct capture_file *capture_file_open(uint64_t flow);
void	capture_file_close(struct capture_file *);
void	capture_packet(struct capture_file *, const void *, size_t);

#endif
