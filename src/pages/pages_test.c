/*
 * pages_test.c - QR codes and EAN-13 barcodes (qr.c, barcode.c): what was drawn read back and
 * compared with an independent source - libqrencode's own matrix, libpng's reading of the PNG,
 * the GS1 tables written here as bar widths; and join points on a real store: the checks of a
 * new one, its code, its link, its poster.
 */
#include <png.h>
#include <qrencode.h>

#include <ctype.h>

#include "helpers.h"

#include "consent/consent.h"
#include "pages/join_points.h"
#include "pages/qr.h"

#define LINK "https://shop.example/j/7KX2MQ9D"

/* libqrencode's matrix of `text`, asked for as the code must be: 8-bit, level M. */
static QRcode *reference(const char *text)
{
    QRcode *q = QRcode_encodeData((int)strlen(text), (const unsigned char *)text, 0, QR_ECLEVEL_M);
    assert_non_null(q);
    return q;
}

/* Reads the modules back from the subpaths "M x y h n v 1 h -n z" of the SVG's path. */
static unsigned char *modules_of_svg(const char *svg, int *side)
{
    const char *vb = strstr(svg, "viewBox=\"0 0 ");
    assert_non_null(vb);
    int w, h;
    assert_int_equal(sscanf(vb, "viewBox=\"0 0 %d %d\"", &w, &h), 2);
    assert_int_equal(w, h);
    *side = w;
    unsigned char *m = calloc((size_t)w * (size_t)w, 1);
    const char *d = strstr(svg, "<path d=\"");
    assert_non_null(d);
    assert_null(strstr(d + 1, "<path")); /* one path */
    d += strlen("<path d=\"");
    while (*d == 'M') {
        int x, y, n, n2, used;
        assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used), 4);
        assert_int_equal(n, n2);
        assert_true(x >= 0 && y >= 0 && x + n <= w && y < w);
        for (int i = 0; i < n; i++) {
            m[y * w + x + i] = 1;
        }
        d += used;
    }
    assert_int_equal(*d, '"');
    return m;
}

/* The module matrix with its quiet zone equals libqrencode's, module for module. */
static void expect_matrix(const unsigned char *m, int side, const QRcode *q)
{
    assert_int_equal(side, q->width + 2 * QR_QUIET);
    for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
            int qx = x - QR_QUIET, qy = y - QR_QUIET;
            bool in = qx >= 0 && qy >= 0 && qx < q->width && qy < q->width;
            int want = in ? q->data[qy * q->width + qx] & 1 : 0;
            assert_int_equal(m[y * side + x], want);
        }
    }
}

static void svg_draws_the_matrix_of_its_text(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err = {0};
    const char *svg;
    assert_int_equal(qr_svg(LINK, "Join <us> & \"earn\"", &a, &svg, &err), KT_OK);
    assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
    assert_non_null(strstr(svg, "<title>Join &lt;us&gt; &amp; &quot;earn&quot;</title>"));
    int side;
    unsigned char *m = modules_of_svg(svg, &side);
    QRcode *q = reference(LINK);
    expect_matrix(m, side, q);
    /* Another text draws another matrix. */
    const char *other;
    assert_int_equal(qr_svg(LINK "X", "t", &a, &other, &err), KT_OK);
    assert_string_not_equal(svg + strlen(svg) / 2, other + strlen(other) / 2);
    QRcode_free(q);
    free(m);
    arena_release(&a);
}

struct reader {
    const unsigned char *p;
    size_t n, at;
};

static void read_mem(png_structp png, png_bytep out, size_t n)
{
    struct reader *r = png_get_io_ptr(png);
    assert_true(r->at + n <= r->n);
    memcpy(out, r->p + r->at, n);
    r->at += n;
}

static void png_draws_the_matrix_at_its_module_size(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err = {0};
    const unsigned char *bytes;
    size_t len;
    const int px = 3;
    assert_int_equal(qr_png(LINK, px, &a, &bytes, &len, &err), KT_OK);
    assert_int_equal(png_sig_cmp(bytes, 0, 8), 0);
    struct reader r = {bytes, len, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_read_fn(png, &r, read_mem);
    png_read_info(png, info);
    assert_int_equal(png_get_bit_depth(png, info), 1);
    assert_int_equal(png_get_color_type(png, info), PNG_COLOR_TYPE_GRAY);
    int w = (int)png_get_image_width(png, info);
    assert_int_equal((int)png_get_image_height(png, info), w);
    assert_int_equal(w % px, 0);
    png_set_packing(png); /* one byte a pixel: 0 black, 1 white */
    png_read_update_info(png, info);
    unsigned char *img = malloc((size_t)w * (size_t)w);
    png_bytep *rows = malloc(sizeof(*rows) * (size_t)w);
    for (int y = 0; y < w; y++) {
        rows[y] = img + (size_t)y * (size_t)w;
    }
    png_read_image(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    /* Every pixel of a module alike; the modules are the reference's. */
    int side = w / px;
    unsigned char *m = calloc((size_t)side * (size_t)side, 1);
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w; x++) {
            unsigned char dark = img[y * w + x] == 0;
            if (x % px == 0 && y % px == 0) {
                m[(y / px) * side + x / px] = dark;
            }
            assert_int_equal(dark, m[(y / px) * side + x / px]);
        }
    }
    QRcode *q = reference(LINK);
    expect_matrix(m, side, q);
    QRcode_free(q);
    free(m);
    free(img);
    arena_release(&a);
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct kt_err err = {0};
    const char *svg;
    assert_int_equal(qr_svg("", "t", &a, &svg, &err), KT_EINVAL);
    assert_string_equal(err.code, "invalid_value");
    char big[QR_TEXT_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    kt_err_reset(&err);
    assert_int_equal(qr_svg(big, "t", &a, &svg, &err), KT_EINVAL);
    big[QR_TEXT_MAX] = '\0';
    kt_err_reset(&err);
    assert_int_equal(qr_svg(big, "t", &a, &svg, &err), KT_OK); /* the longest fits */
    const unsigned char *png;
    size_t len;
    assert_int_equal(qr_png(LINK, 0, &a, &png, &len, &err), KT_EINVAL);
    kt_err_reset(&err);
    assert_int_equal(qr_png(LINK, QR_MODULE_PX_MAX + 1, &a, &png, &len, &err), KT_EINVAL);
    char mod[96];
    assert_false(ean13_modules("4006381333932", mod)); /* wrong check digit */
    assert_false(ean13_modules("400638133393", mod));  /* 12 digits */
    assert_false(ean13_modules("40063813339a1", mod));
    assert_false(ean13_modules(NULL, mod));
    kt_err_reset(&err);
    assert_int_equal(ean13_svg("4006381333932", "card", &a, &svg, &err), KT_EINVAL);
    assert_string_equal(err.field, "card");
    arena_release(&a);
}

/* GS1's tables as the standard prints them: the L (set A) character as widths of space, bar,
 * space, bar; the first digit's parities as the positions of the G (set B) characters. */
static const int l_widths[10][4] = {{3, 2, 1, 1}, {2, 2, 2, 1}, {2, 1, 2, 2}, {1, 4, 1, 1},
                                    {1, 1, 3, 2}, {1, 2, 3, 1}, {1, 1, 1, 4}, {1, 3, 1, 2},
                                    {1, 2, 1, 3}, {3, 1, 1, 2}};
static const char *const g_positions[10] = {"",    "356", "346", "345", "256",
                                            "236", "234", "246", "245", "235"};

/* The 7 modules of digit d in set 'A' (L), 'B' (G: L's widths reversed, starting with a space)
 * or 'C' (R: L's widths, starting with a bar). */
static void expected_digit(int d, char set, char *out)
{
    int w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = set == 'B' ? l_widths[d][3 - i] : l_widths[d][i];
    }
    char first = set == 'C' ? '1' : '0';
    for (int i = 0; i < 4; i++) {
        char c = i % 2 == 0 ? first : (first == '1' ? '0' : '1');
        for (int k = 0; k < w[i]; k++) {
            *out++ = c;
        }
    }
}

static void expected_ean13(const char *n, char out[96])
{
    char *p = out;
    memcpy(p, "101", 3);
    p += 3;
    for (int i = 1; i <= 6; i++, p += 7) {
        char pos = (char)('0' + i);
        expected_digit(n[i] - '0', strchr(g_positions[n[0] - '0'], pos) ? 'B' : 'A', p);
    }
    memcpy(p, "01010", 5);
    p += 5;
    for (int i = 7; i <= 12; i++, p += 7) {
        expected_digit(n[i] - '0', 'C', p);
    }
    memcpy(p, "101", 4);
}

static void ean13_bars_follow_the_standard(void **state)
{
    (void)state;
    /* Every first digit (so every parity pattern) and every digit in each set. */
    const char *numbers[] = {"4006381333931", "0123456789012", "1987654321098", "2000000000015",
                             "3141592653589", "5012345678900", "6543210987654", "7777777777772",
                             "8888888888880", "9780201379624"};
    struct arena a;
    arena_init(&a, 0);
    for (size_t i = 0; i < sizeof(numbers) / sizeof(*numbers); i++) {
        char n[14];
        memcpy(n, numbers[i], 12);
        /* the check digit, computed here: weights 1 and 3 from the left */
        int sum = 0;
        for (int k = 0; k < 12; k++) {
            sum += (n[k] - '0') * (k % 2 ? 3 : 1);
        }
        n[12] = (char)('0' + (10 - sum % 10) % 10);
        n[13] = '\0';
        char want[96], got[96];
        expected_ean13(n, want);
        assert_true(ean13_modules(n, got));
        assert_string_equal(got, want);
        /* The SVG's bars are those modules, and the digits are under them. */
        struct kt_err err = {0};
        const char *svg;
        assert_int_equal(ean13_svg(n, "card", &a, &svg, &err), KT_OK);
        char drawn[96];
        memset(drawn, '0', 95);
        drawn[95] = '\0';
        const char *d = strstr(svg, "<path d=\"") + strlen("<path d=\"");
        while (*d == 'M') {
            int x, y, w, h, w2, used;
            assert_int_equal(sscanf(d, "M%d %dh%dv%dh-%dz%n", &x, &y, &w, &h, &w2, &used), 5);
            assert_true(x >= 11 && x + w <= 11 + 95);
            memset(drawn + x - 11, '1', (size_t)w);
            d += used;
        }
        assert_string_equal(drawn, want);
        char text[40];
        snprintf(text, sizeof(text), ">%.6s</text>", n + 1);
        assert_non_null(strstr(svg, text));
        snprintf(text, sizeof(text), ">%.6s</text>", n + 7);
        assert_non_null(strstr(svg, text));
    }
    /* 4006381333931: the example of the standard's appendix, by hand. */
    char got[96];
    assert_true(ean13_modules("4006381333931", got));
    assert_memory_equal(got,
                        "101"
                        "0001101"
                        "0100111",
                        17); /* 0 in L, 0 in G */
    arena_release(&a);
}

#define NOW 1780000000000LL

static void a_store(struct store_conn *w, const char *code, const char *title, const char *city)
{
    struct shop s = {code, title, city, "Europe/Moscow", NOW, NOW};
    assert_int_equal(store_shop_put(w, &s, NULL), KT_OK);
}

static enum kt_rc create(const char *store, const char *spot, const char *label,
                         struct join_point *out, struct kt_err *err)
{
    struct store_conn *w = wbegin();
    kt_err_reset(err);
    enum kt_rc rc = jp_create(w, store, spot, label, NOW, &A, out, err);
    assert_int_equal(store_write_end(w, rc, NULL), rc); /* rolled back when refused */
    return rc;
}

static void join_points_are_checked_coded_and_listed(void **state)
{
    (void)state;
    struct store_conn *w = wbegin();
    a_store(w, "S1", "Магазин у дома", "Москва");
    a_store(w, "S2", NULL, NULL);
    wcommit(w);
    struct join_point j, k;
    struct kt_err err;
    assert_int_equal(create("S1", "till", "Касса 1", &j, &err), KT_OK);
    assert_int_equal(strlen(j.code), JP_CODE_LEN);
    assert_int_equal(strspn(j.code, JP_ALPHABET), JP_CODE_LEN);
    assert_int_equal(create("S2", "entrance", NULL, &k, &err), KT_OK);
    assert_string_not_equal(j.code, k.code);
    /* Refused, each with its field, and nothing written. */
    assert_int_equal(create("S9", "till", NULL, &k, &err), KT_EINVAL);
    assert_string_equal(err.code, "store_not_found");
    assert_string_equal(err.field, "store");
    assert_int_equal(create("S1", "door", NULL, &k, &err), KT_EINVAL);
    assert_string_equal(err.field, "spot");
    char label[JP_LABEL_MAX * 2 + 3];
    memset(label, 0, sizeof(label));
    for (int i = 0; i < JP_LABEL_MAX; i++) {
        memcpy(label + 2 * i, "ж", 2); /* 100 characters, 200 bytes: allowed */
    }
    assert_int_equal(create("S1", "shelf", label, &k, &err), KT_OK);
    memcpy(label + 2 * JP_LABEL_MAX, "ж", 3); /* 101 */
    assert_int_equal(create("S1", "shelf", label, &k, &err), KT_EINVAL);
    assert_string_equal(err.code, "too_long");
    assert_string_equal(err.field, "label");
    assert_int_equal(create("S1", "shelf", "a\nb", &k, &err), KT_EINVAL);
    assert_string_equal(err.field, "label");
    assert_int_equal(test_count("SELECT count(*) FROM join_points"), 3);
    /* Listed by code, a store's only; found in either case; disabled once. */
    struct store_conn *r = rbegin();
    struct join_point *list;
    size_t n;
    assert_int_equal(jp_list(r, NULL, "", 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 3);
    assert_true(strcmp(list[0].code, list[1].code) < 0 && strcmp(list[1].code, list[2].code) < 0);
    assert_int_equal(jp_list(r, "S2", "", 10, &A, &list, &n, NULL), KT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].spot, "entrance");
    char lower[JP_CODE_LEN + 1];
    for (int i = 0; i <= JP_CODE_LEN; i++) {
        lower[i] = (char)tolower((unsigned char)j.code[i]);
    }
    assert_int_equal(jp_get(r, lower, &A, &k, NULL), KT_OK);
    assert_string_equal(k.label, "Касса 1");
    kt_err_reset(&err);
    assert_int_equal(jp_get(r, "ZZZZZZZZ", &A, &k, &err), KT_ENOTFOUND);
    assert_string_equal(err.code, "join_point_not_found");
    store_read_end(r);
    w = wbegin();
    assert_int_equal(jp_disable(w, j.code, NOW + 5, &A, &k, NULL), KT_OK);
    assert_int_equal(jp_disable(w, j.code, NOW + 9, &A, &k, NULL), KT_OK);
    assert_int_equal(k.disabled_at, NOW + 5);
    wcommit(w);
}

static void the_link_and_poster_need_public_url(void **state)
{
    (void)state;
    struct store_conn *w = wbegin();
    a_store(w, "S1", "Магазин <у дома>", "Москва");
    wcommit(w);
    struct join_point j;
    struct kt_err err;
    assert_int_equal(create("S1", "till", "Касса & выход", &j, &err), KT_OK);
    struct store_conn *r = rbegin();
    const char *link, *svg;
    kt_err_reset(&err);
    assert_int_equal(jp_link(r, j.code, &A, &link, &err), KT_EINVAL);
    assert_string_equal(err.code, "public_url_required");
    kt_err_reset(&err);
    assert_int_equal(jp_poster(r, &j, "a5", &A, &svg, &err), KT_EINVAL);
    assert_string_equal(err.code, "public_url_required");
    store_read_end(r);
    w = wbegin();
    struct privacy_settings ps;
    assert_int_equal(privacy_settings_get(w, &A, &ps, NULL), KT_OK);
    ps.public_url = "https://shop.example/";
    assert_int_equal(privacy_settings_put(w, &ps, NULL), KT_OK);
    wcommit(w);
    r = rbegin();
    assert_int_equal(jp_link(r, j.code, &A, &link, NULL), KT_OK);
    assert_string_equal(link, arena_printf(&A, "https://shop.example/j/%s", j.code));
    assert_int_equal(jp_poster(r, &j, "a6", &A, &svg, NULL), KT_OK);
    assert_non_null(strstr(svg, "width=\"105mm\" height=\"148mm\""));
    assert_non_null(strstr(svg, "Магазин &lt;у дома&gt;, Москва"));
    assert_non_null(strstr(svg, "Касса &amp; выход"));
    assert_non_null(strstr(svg, arena_printf(&A, ">shop.example/j/%s</text>", j.code)));
    assert_int_equal(jp_poster(r, &j, "a5", &A, &svg, NULL), KT_OK);
    assert_non_null(strstr(svg, "width=\"148mm\" height=\"210mm\""));
    kt_err_reset(&err);
    assert_int_equal(jp_poster(r, &j, "a4", &A, &svg, &err), KT_EINVAL);
    assert_string_equal(err.field, "paper");
    store_read_end(r);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svg_draws_the_matrix_of_its_text),
        cmocka_unit_test(png_draws_the_matrix_at_its_module_size),
        cmocka_unit_test(bad_input_is_refused),
        cmocka_unit_test(ean13_bars_follow_the_standard),
        CASE(join_points_are_checked_coded_and_listed),
        CASE(the_link_and_poster_need_public_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
