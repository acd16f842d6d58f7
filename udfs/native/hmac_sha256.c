/* HMAC-SHA256 of many short messages with one key: the two keyed SHA-256 states are made once
 * (RFC 2104) and copied per message, as udfs/protect/tokenize.py does with hashlib; OpenSSL's
 * SHA-256 does the compression. Built by scripts/setup into lib/native/; loaded with ctypes.
 * The key block is never stored: it is given per call and the states live on the stack. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

/* key_block: the 64-byte padded key; data: the messages back to back; offsets: n + 1 starts;
 * out: 32 bytes per message. */
void hmac_sha256_many(const unsigned char *key_block, const unsigned char *data,
                      const int64_t *offsets, int64_t n, unsigned char *out) {
    unsigned char pad[64];
    SHA256_CTX inner0, outer0, ctx;
    unsigned char inner_digest[32];
    for (int i = 0; i < 64; i++) pad[i] = key_block[i] ^ 0x36;
    SHA256_Init(&inner0);
    SHA256_Update(&inner0, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = key_block[i] ^ 0x5c;
    SHA256_Init(&outer0);
    SHA256_Update(&outer0, pad, 64);
    memset(pad, 0, sizeof pad);
    for (int64_t m = 0; m < n; m++) {
        memcpy(&ctx, &inner0, sizeof ctx);
        SHA256_Update(&ctx, data + offsets[m], (size_t)(offsets[m + 1] - offsets[m]));
        SHA256_Final(inner_digest, &ctx);
        memcpy(&ctx, &outer0, sizeof ctx);
        SHA256_Update(&ctx, inner_digest, 32);
        SHA256_Final(out + 32 * m, &ctx);
    }
    memset(&inner0, 0, sizeof inner0);
    memset(&outer0, 0, sizeof outer0);
    memset(&ctx, 0, sizeof ctx);
}
