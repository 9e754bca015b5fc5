/*
 * The HTTP/1 handshake vectors the unit tests share: the request every
 * lab client sends (real-products.md) and RFC 6455's 101 (section 1.3).
 */
#ifndef PROXYSIM_TESTS_H1_VECTORS_H
#define PROXYSIM_TESTS_H1_VECTORS_H

/* The handshake every lab client sends (docs: real-products.md). */
static const char req13[] =
    "GET /chat HTTP/1.1\r\n"
    "Host: 198.18.2.2\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://198.18.2.2\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "User-Agent: rawws/1\r\n"
    "\r\n";

/* RFC 6455 section 1.3. */
static const char resp13[] =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "\r\n";

#endif
