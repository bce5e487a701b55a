#include "autoconf.h"

#include <qrencode.h>
#include <stdlib.h>

#include "support/lazy.h"
#include "support/qr.h"

/* libqrencode, loaded at the first QR code drawn (support/lazy.h) */
static __typeof__(QRcode_encodeString) *encode_string;
static __typeof__(QRcode_free) *qr_free;
static const char *const QR_NAMES[] = { "QRcode_encodeString", "QRcode_free" };
static void *const QR_SLOTS[] = { &encode_string, &qr_free };
static struct sspr_lazy libqrencode = { "libqrencode.so.4", QR_NAMES, QR_SLOTS, 2, 0 };

#define QUIET 2  /* light border, in modules, so scanners find the edges */

/* Light modules are drawn as blocks: most terminals are light-on-dark, so
 * the block shows light and the background shows dark. */
static int dark(const QRcode *qr, int x, int y)
{
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
        return 0;
    return qr->data[y * qr->width + x] & 1;
}

int sspr_qr_print(FILE *out, const char *text)
{
    QRcode *qr = sspr_lazy_ready(&libqrencode)
                     ? encode_string(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)
                     : NULL;

    if (qr == NULL)
        return -1;
    for (int y = -QUIET; y < qr->width + QUIET; y += 2) {
        for (int x = -QUIET; x < qr->width + QUIET; x++) {
            int top = !dark(qr, x, y), bottom = !dark(qr, x, y + 1);
            fputs(top && bottom ? "\xe2\x96\x88" : top ? "\xe2\x96\x80" : bottom ? "\xe2\x96\x84" : " ",
                  out);
        }
        fputc('\n', out);
    }
    qr_free(qr);
    return 0;
}

char *sspr_qr_render(const char *text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int rc;

    if (mem == NULL)
        return NULL;
    rc = sspr_qr_print(mem, text);
    if (fclose(mem) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
