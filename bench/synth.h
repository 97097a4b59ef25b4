/*
 * synth.h - synthetic customers for the benchmarks: deterministic from a number, made of common
 * Russian names and obviously fake contact data (+7 916 0NNNNNN, userNNNNNNN@example.com). No real
 * person is described.
 */
#ifndef KT_BENCH_SYNTH_H
#define KT_BENCH_SYNTH_H

#include <stdint.h>
#include <stdio.h>

static const char *const synth_last[] = {"Иванов",   "Смирнов", "Кузнецов", "Попов",
                                         "Васильев", "Петров",  "Соколов",  "Михайлов"};
static const char *const synth_first_m[] = {"Александр", "Дмитрий", "Максим", "Сергей",
                                            "Андрей",    "Алексей", "Артём",  "Илья"};
static const char *const synth_first_f[] = {"Анна",  "Мария", "Елена",     "Дарья",
                                            "Алина", "Ирина", "Екатерина", "Ольга"};
static const char *const synth_city[] = {"Москва",       "Санкт-Петербург", "Казань", "Новосибирск",
                                         "Екатеринбург", "Самара",          "Омск",   "Уфа"};

struct synth {
    char phone[32];
    char email[64];
    char card[32];
    char last[48];
    const char *first;
    const char *gender;
    const char *city;
    char birth[12];
};

/* Person number `i` (0 <= i < 10,000,000) with phones under +7 `prefix` (3 digits). */
static inline void synth_make(uint64_t i, const char *prefix, struct synth *s)
{
    unsigned h = (unsigned)(i * 2654435761u);
    int female = (h >> 3) & 1;
    snprintf(s->phone, sizeof(s->phone), "+7%s%07llu", prefix, (unsigned long long)i);
    snprintf(s->email, sizeof(s->email), "user%s%07llu@example.com", prefix, (unsigned long long)i);
    snprintf(s->card, sizeof(s->card), "2%s%09llu", prefix, (unsigned long long)i);
    snprintf(s->last, sizeof(s->last), "%s%s", synth_last[h % 8], female ? "а" : "");
    s->first = female ? synth_first_f[(h >> 5) % 8] : synth_first_m[(h >> 5) % 8];
    s->gender = female ? "f" : "m";
    s->city = synth_city[(h >> 9) % 8];
    snprintf(s->birth, sizeof(s->birth), "%04u-%02u-%02u", 1950 + (h >> 12) % 55,
             1 + (h >> 18) % 12, 1 + (h >> 22) % 28);
}

#endif
