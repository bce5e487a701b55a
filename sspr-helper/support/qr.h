/* A QR code drawn in the terminal (libqrencode), for enrolling an app. */
#ifndef SSPR_QR_H
#define SSPR_QR_H

#include <stdio.h>

/* Draw text as a QR code with Unicode half blocks. Returns 0 or -1. */
int sspr_qr_print(FILE *out, const char *text);

/* The same drawing as a malloc'd string (lines end in '\n'), or NULL. */
char *sspr_qr_render(const char *text);

#endif
