/*
 * poster.c - the printable poster of a join point (join_points.h): an A5 or A6 page drawn in
 * millimetres as SVG, so it prints at its size from any browser or viewer. From the top: the
 * heading (the operator's name from the privacy settings, else the store's title), an invitation
 * in Russian, the store's title and city, the QR code of the link, the link in large type
 * (without its scheme, as a person types it), and the spot's label.
 */
#include <string.h>

#include "consent/consent.h"
#include "pages/join_points.h"
#include "pages/qr.h"
#include "template/template.h"

#define INVITATION "Вступайте в программу лояльности"

static void text_line(struct buf *b, double x, double y, double size, const char *weight,
                      const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return;
    }
    buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" font-weight=\"%s\">", x, y, size,
               weight);
    template_escape_html(b, s, strlen(s));
    buf_puts(b, "</text>");
}

/* Characters, not bytes: the width of a line is by what a reader sees. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

enum kt_rc jp_poster(struct store_conn *c, const struct join_point *j, const char *paper,
                     struct arena *a, const char **out, struct kt_err *err)
{
    double w, h;
    if (paper != NULL && strcmp(paper, "a6") == 0) {
        w = 105, h = 148;
    } else if (paper == NULL || strcmp(paper, "a5") == 0) {
        w = 148, h = 210;
    } else {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "paper", "'paper' is a5 or a6");
    }
    const char *link;
    struct privacy_settings ps;
    struct shop s;
    struct qr_matrix m;
    if (jp_link(c, j->code, a, &link, err) != KT_OK ||
        privacy_settings_get(c, a, &ps, err) != KT_OK ||
        store_shop_get(c, j->store, a, &s, NULL, err) != KT_OK ||
        qr_encode(link, "url", a, &m, err) != KT_OK) {
        return err->rc;
    }
    const char *shown = strstr(link, "://") ? strstr(link, "://") + 3 : link;
    const char *heading = ps.operator_name ? ps.operator_name : s.title ? s.title : s.code;
    const char *place = s.title && s.city ? arena_printf(a, "%s, %s", s.title, s.city)
                        : s.title         ? s.title
                        : s.city          ? s.city
                                          : s.code;
    struct buf b;
    buf_init(&b, BUF_MAX_DEFAULT);
    buf_printf(&b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%gmm\" height=\"%gmm\" "
               "viewBox=\"0 0 %g %g\" role=\"img\"><title>",
               w, h, w, h);
    template_escape_html(&b, INVITATION, strlen(INVITATION));
    buf_puts(&b, ": ");
    template_escape_html(&b, shown, strlen(shown));
    buf_printf(&b,
               "</title><rect width=\"%g\" height=\"%g\" fill=\"#fff\"/>"
               "<g font-family=\"sans-serif\" text-anchor=\"middle\" fill=\"#000\">",
               w, h);
    text_line(&b, w / 2, h * 0.09, w * 0.065, "bold", heading);
    text_line(&b, w / 2, h * 0.15, w * 0.05, "normal", INVITATION);
    text_line(&b, w / 2, h * 0.20, w * 0.04, "normal", place);
    /* The QR code: 60% of the width, its own viewBox in modules, quiet zone included. */
    double q = w * 0.6, qy = h * 0.23;
    int side = m.width + 2 * QR_QUIET;
    buf_printf(&b,
               "<svg x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" viewBox=\"0 0 %d %d\" "
               "shape-rendering=\"crispEdges\">",
               (w - q) / 2, qy, q, q, side, side);
    qr_svg_path(&m, &b);
    buf_puts(&b, "</svg>");
    /* The link as large as fits 90% of the width (a character ~0.6 of its size). */
    double fs = w * 0.9 / (0.6 * (double)chars(shown));
    fs = fs > w * 0.08 ? w * 0.08 : fs;
    text_line(&b, w / 2, qy + q + fs * 1.3, fs, "bold", shown);
    text_line(&b, w / 2, h * 0.95, w * 0.04, "normal", j->label);
    buf_puts(&b, "</g></svg>\n");
    *out = arena_strdup(a, buf_cstr(&b));
    buf_release(&b);
    return KT_OK;
}
