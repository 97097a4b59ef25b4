/*
 * api.h - the HTTP API: one file per resource, each handler decode -> call one function of a
 * domain module -> reply; the workflows and the documents they build live in those modules, so
 * the CLI calls the same functions (docs/house.md, part 2). A handler replies its success and
 * returns KT_OK, or returns the code of the error raised in `err` and the router replies it
 * (http_handler_fn, src/http/README.md; docs/house.md, part 3). The route table (routes.c) is the
 * single list of what the server answers; the OpenAPI description in docs/openapi.json must match
 * it (api_test.c checks both ways).
 */
#ifndef KT_API_API_H
#define KT_API_API_H

#include <jansson.h>

#include "http/http.h"
#include "identity/identity.h"
#include "deliver/template_store.h"

extern const struct route api_routes[];
extern const size_t api_routes_count;

/* The console's session and users (session.c, users.c; docs/console.md). */
enum kt_rc api_session_login(struct http_req *r, struct kt_err *err);
enum kt_rc api_session_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_session_delete(struct http_req *r, struct kt_err *err);
enum kt_rc api_session_totp(struct http_req *r, struct kt_err *err);
enum kt_rc api_session_totp_setup(struct http_req *r, struct kt_err *err);
enum kt_rc api_session_totp_enable(struct http_req *r, struct kt_err *err);
enum kt_rc api_users_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_users_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_users_patch(struct http_req *r, struct kt_err *err);
struct user;
json_t *api_user_json(const struct user *u); /* {id, email, role, stores, totp, disabled} */

/* system.c */
enum kt_rc api_healthz(struct http_req *r, struct kt_err *err);
enum kt_rc api_readyz(struct http_req *r, struct kt_err *err);
enum kt_rc api_metrics(struct http_req *r, struct kt_err *err);
enum kt_rc api_openapi(struct http_req *r, struct kt_err *err);
enum kt_rc api_system_clock(struct http_req *r, struct kt_err *err);

/* customers.c */
enum kt_rc api_customers_upsert(struct http_req *r, struct kt_err *err);
/* The upsert of customer document `body` (POST /v1/customers' body; `idem` its Idempotency-Key
 * or NULL), in a write of its own: its reply's status and body (new reference) for the caller to
 * send. The tracking API's identify calls it too (tracking.c). */
enum kt_rc api_customers_take(struct http_req *r, const json_t *body, const char *idem, int *status,
                              json_t **reply, struct kt_err *err);
enum kt_rc api_customers_list(struct http_req *r, struct kt_err *err);
/* GET /v1/customers?full_name=[&birth_date=] (customer_search.c), from api_customers_list. */
enum kt_rc api_customers_by_name(struct http_req *r, const char *name, struct kt_err *err);
enum kt_rc api_customers_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_customers_patch(struct http_req *r, struct kt_err *err);
enum kt_rc api_customers_history(struct http_req *r, struct kt_err *err);
enum kt_rc api_customers_merge(struct http_req *r, struct kt_err *err);
enum kt_rc api_customers_unmerge(struct http_req *r, struct kt_err *err);
enum kt_rc api_duplicates_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_duplicates_merge(struct http_req *r, struct kt_err *err);
enum kt_rc api_duplicates_reject(struct http_req *r, struct kt_err *err);

/* The outbox (messages.c). */
enum kt_rc api_messages_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_customer_messages(struct http_req *r, struct kt_err *err);
/* The frequency caps (messaging.c). */
enum kt_rc api_messaging_caps_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_messaging_caps_put(struct http_req *r, struct kt_err *err);
/* A message's feedback: the providers' callbacks (deliveries.c), the pixel and links (track.c). */
enum kt_rc api_deliveries_status(struct http_req *r, struct kt_err *err);
enum kt_rc api_track_open(struct http_req *r, struct kt_err *err);
enum kt_rc api_track_click(struct http_req *r, struct kt_err *err);

/* attributes.c */
enum kt_rc api_attributes_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_attributes_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_attributes_list(struct http_req *r, struct kt_err *err);

/* imports.c */
enum kt_rc api_imports_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_imports_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_imports_rejects(struct http_req *r, struct kt_err *err);
enum kt_rc api_imports_list(struct http_req *r, struct kt_err *err);

/* reports.c */
enum kt_rc api_reports_quality(struct http_req *r, struct kt_err *err);
enum kt_rc api_reports_quality_daily(struct http_req *r, struct kt_err *err);
enum kt_rc api_reports_campaign(struct http_req *r, struct kt_err *err);

/* clean.c: values through their cleaners, described (clean/describe.h) */
enum kt_rc api_clean(struct http_req *r, struct kt_err *err);

/* loyalty.c: the programme, a customer's points */
enum kt_rc api_loyalty_program_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_loyalty_program_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_points_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_points_history(struct http_req *r, struct kt_err *err);
enum kt_rc api_points_adjust(struct http_req *r, struct kt_err *err);
enum kt_rc api_loyalty_run_due(struct http_req *r, struct kt_err *err);
/* rfm.c: the RFM report, and storing it as traits (segment/rfm_report.c) */
enum kt_rc api_reports_rfm(struct http_req *r, struct kt_err *err);
enum kt_rc api_traits_rfm(struct http_req *r, struct kt_err *err);
/* intervals.c: the learned intervals as reports (segment/intervals_report.c) */
enum kt_rc api_reports_replenishment(struct http_req *r, struct kt_err *err);
enum kt_rc api_reports_lapsed(struct http_req *r, struct kt_err *err);
/* clusters.c: k-means++ over behaviour (segment/clusters.c) */
enum kt_rc api_clusters_post(struct http_req *r, struct kt_err *err);
/* segments.c */
enum kt_rc api_segments_preview(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_delete(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_refresh(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_members(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_sizes(struct http_req *r, struct kt_err *err);
enum kt_rc api_segments_language(struct http_req *r, struct kt_err *err);
enum kt_rc api_traits_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_traits_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_traits_refresh(struct http_req *r, struct kt_err *err);
/* events.c */
enum kt_rc api_events_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_events_batch(struct http_req *r, struct kt_err *err);
enum kt_rc api_event_types_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_event_types_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_customer_events(struct http_req *r, struct kt_err *err);
enum kt_rc api_reports_events(struct http_req *r, struct kt_err *err);
/* tracking.c: the Segment tracking API */
enum kt_rc api_track_call(struct http_req *r, struct kt_err *err);
enum kt_rc api_track_batch(struct http_req *r, struct kt_err *err);
enum kt_rc api_sdk_js(struct http_req *r, struct kt_err *err);
/* cards.c */
enum kt_rc api_pos_enroll(struct http_req *r, struct kt_err *err);
enum kt_rc api_pos_otp(struct http_req *r, struct kt_err *err);
enum kt_rc api_pos_verify(struct http_req *r, struct kt_err *err);
enum kt_rc api_cards_batch(struct http_req *r, struct kt_err *err);
enum kt_rc api_card_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_card_block(struct http_req *r, struct kt_err *err);
enum kt_rc api_card_replace(struct http_req *r, struct kt_err *err);
enum kt_rc api_card_unbind(struct http_req *r, struct kt_err *err);
enum kt_rc api_customer_cards(struct http_req *r, struct kt_err *err);

/* purchases.c: receipts, the quote, refunds, the loyalty report */
enum kt_rc api_purchases_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_loyalty_quote(struct http_req *r, struct kt_err *err);
enum kt_rc api_refunds_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_purchase_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_customer_purchases(struct http_req *r, struct kt_err *err);
enum kt_rc api_reports_loyalty(struct http_req *r, struct kt_err *err);

/* The privacy resources (docs/privacy.md), one file each. */
/* privacy_settings.c */
enum kt_rc api_privacy_settings_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_privacy_settings_put(struct http_req *r, struct kt_err *err);
/* documents.c; a document's version as the API shows it, with its text when `with_body` (new
 * reference). */
enum kt_rc api_documents_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_documents_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_documents_get(struct http_req *r, struct kt_err *err);
json_t *api_consent_doc_json(struct arena *a, const struct consent_doc *d, bool with_body);
/* consents.c */
enum kt_rc api_consents_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_consents_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_consents_evidence(struct http_req *r, struct kt_err *err);
/* "source": {"channel", "store", "operator"} of a consent or subscription change, with the
 * request's key and id; false (err set) when it is not one. */
struct consent_actor;
bool api_consent_actor(struct http_req *r, const json_t *body, struct consent_actor *who,
                       struct kt_err *err);
/* topics.c */
enum kt_rc api_stores_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_stores_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_stores_list(struct http_req *r, struct kt_err *err);
/* /v1/keys (api/keys.c): the API keys for the settings screen, admin only. */
enum kt_rc api_keys_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_keys_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_keys_revoke(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_points_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_points_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_points_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_points_disable(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_points_qr_svg(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_points_qr_png(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_points_poster(struct http_req *r, struct kt_err *err);
enum kt_rc api_topics_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_topics_list(struct http_req *r, struct kt_err *err);
/* subscriptions.c */
enum kt_rc api_subs_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_subs_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_may_send(struct http_req *r, struct kt_err *err);
/* ?channel=&topic= of may-send and unsubscribe-link; both required when `required`. */
enum kt_rc api_channel_topic(struct http_req *r, bool required, const char **channel,
                             const char **topic, struct kt_err *err);
/* unsubscribe.c */
enum kt_rc api_unsub_link(struct http_req *r, struct kt_err *err);
enum kt_rc api_unsub_page(struct http_req *r, struct kt_err *err);
enum kt_rc api_unsub_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_unsub_data(struct http_req *r, struct kt_err *err);
enum kt_rc api_unsub_erase_page(struct http_req *r, struct kt_err *err);
enum kt_rc api_unsub_erase_post(struct http_req *r, struct kt_err *err);
/* page_assets.c: the stylesheet and the logo; page `name` of pages/ rendered with `ctx` (borrowed,
 * may be NULL) and sent with `status`; the invalid link's page (404); the stale form's page (403:
 * `text`, a link `back`). */
enum kt_rc api_page_style(struct http_req *r, struct kt_err *err);
/* customer_traits.c: a customer's computed traits and the segments they are in now. */
enum kt_rc api_customer_traits(struct http_req *r, struct kt_err *err);
enum kt_rc api_customer_segments(struct http_req *r, struct kt_err *err);
/* console.c: the console's app, index.html at /admin and /admin/{path*}, its built files. */
enum kt_rc api_console_index(struct http_req *r, struct kt_err *err);
enum kt_rc api_console_asset(struct http_req *r, struct kt_err *err);
enum kt_rc api_page_logo(struct http_req *r, struct kt_err *err);
enum kt_rc api_page_reply(struct http_req *r, int status, const char *name, const char *title,
                          const json_t *ctx, struct kt_err *err);
enum kt_rc api_page_invalid(struct http_req *r, struct kt_err *err);
/* The reply of a customer's page link: {token, path "/<prefix>/<token>", url under the privacy
 * settings' public_url when it is set}. */
enum kt_rc api_page_link(struct http_req *r, struct store_conn *rd, const char *prefix,
                         const char *token, struct kt_err *err);
enum kt_rc api_page_stale(struct http_req *r, const char *text, const char *back,
                          struct kt_err *err);
/* join_page.c: the join form (pages/join.h) */
enum kt_rc api_join_page(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_tablet_page(struct http_req *r, struct kt_err *err);
enum kt_rc api_tablet_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_doc(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_code_page(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_code_post(struct http_req *r, struct kt_err *err);
enum kt_rc api_join_card(struct http_req *r, struct kt_err *err);
/* Wallet cards (wallet.c, docs/wallet.md): the links, the pass and the save link, Apple's web
 * service for passes. */
enum kt_rc api_customer_wallet(struct http_req *r, struct kt_err *err);
/* A message's links for this server (wallet.c): the installation secret and the privacy
 * settings' public_url read on `c` (NULL when unset). */
enum kt_rc api_msg_links(struct http_req *r, struct store_conn *c, struct msg_links *out,
                         struct kt_err *err);
enum kt_rc api_wallet_apple(struct http_req *r, struct kt_err *err);
enum kt_rc api_wallet_google(struct http_req *r, struct kt_err *err);
enum kt_rc api_wallet_register(struct http_req *r, struct kt_err *err);
enum kt_rc api_wallet_unregister(struct http_req *r, struct kt_err *err);
enum kt_rc api_wallet_serials(struct http_req *r, struct kt_err *err);
enum kt_rc api_wallet_pass(struct http_req *r, struct kt_err *err);
enum kt_rc api_wallet_log(struct http_req *r, struct kt_err *err);
/* page_templates.c */
enum kt_rc api_pages_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_pages_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_pages_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_pages_logo_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_pages_reset(struct http_req *r, struct kt_err *err);
enum kt_rc api_q_link(struct http_req *r, struct kt_err *err);
enum kt_rc api_q_page(struct http_req *r, struct kt_err *err);
enum kt_rc api_q_post(struct http_req *r, struct kt_err *err);
/* export.c: everything held about a customer (export/customer.c) */
enum kt_rc api_customers_export(struct http_req *r, struct kt_err *err);
/* erase.c */
enum kt_rc api_customers_erase(struct http_req *r, struct kt_err *err);
/* acts.c */
enum kt_rc api_acts_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_acts_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_acts_document(struct http_req *r, struct kt_err *err);
enum kt_rc api_acts_sign(struct http_req *r, struct kt_err *err);
enum kt_rc api_acts_signature(struct http_req *r, struct kt_err *err);
/* blocks.c: blocking a customer's data (152-FZ art. 21; privacy/block.c); a block as the API
 * shows it (new reference). */
enum kt_rc api_customers_block(struct http_req *r, struct kt_err *err);
enum kt_rc api_customers_unblock(struct http_req *r, struct kt_err *err);
enum kt_rc api_customer_blocks(struct http_req *r, struct kt_err *err);
json_t *api_block_json(struct arena *a, const struct customer_block *b);
/* privacy_requests.c */
enum kt_rc api_preq_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_preq_extend(struct http_req *r, struct kt_err *err);
enum kt_rc api_preq_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_preq_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_preq_close(struct http_req *r, struct kt_err *err);
/* templates.c */
enum kt_rc api_templates_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_campaigns_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_campaigns_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_campaigns_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_campaigns_start(struct http_req *r, struct kt_err *err);
enum kt_rc api_campaigns_pause(struct http_req *r, struct kt_err *err);
enum kt_rc api_campaigns_resume(struct http_req *r, struct kt_err *err);
enum kt_rc api_campaigns_cancel(struct http_req *r, struct kt_err *err);
enum kt_rc api_templates_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_templates_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_templates_preview(struct http_req *r, struct kt_err *err);
enum kt_rc api_templates_test(struct http_req *r, struct kt_err *err);
/* journeys.c */
enum kt_rc api_journeys_put(struct http_req *r, struct kt_err *err);
enum kt_rc api_journeys_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_journeys_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_journeys_start(struct http_req *r, struct kt_err *err);
enum kt_rc api_journeys_pause(struct http_req *r, struct kt_err *err);
enum kt_rc api_journeys_archive(struct http_req *r, struct kt_err *err);
enum kt_rc api_customer_journeys(struct http_req *r, struct kt_err *err);
enum kt_rc api_reports_journey(struct http_req *r, struct kt_err *err);
enum kt_rc api_journeys_simulate(struct http_req *r, struct kt_err *err);
/* incidents.c */
enum kt_rc api_incidents_create(struct http_req *r, struct kt_err *err);
enum kt_rc api_incidents_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_incidents_get(struct http_req *r, struct kt_err *err);
enum kt_rc api_incidents_update(struct http_req *r, struct kt_err *err);
/* audit.c: the log, its check; the fields a view of the customer shows, as the audit log's mask
 * (AUDIT_F_...), and the notes a handler of a ROUTE_PD route leaves: a read of the customer's
 * profile, a read of other data of one customer (`customer_id` may be NULL: nobody found), a
 * read of many customers at once (`object` names what: a segment, an import). Each names the
 * request's key, route and id; the router adds the caller's address. */
enum kt_rc api_audit_list(struct http_req *r, struct kt_err *err);
enum kt_rc api_audit_verify(struct http_req *r, struct kt_err *err);
uint32_t api_audit_fields(const struct customer *cu);
void api_audit_read(struct http_req *r, const struct customer *cu, const char *action);
void api_audit_note(struct http_req *r, const char *action, const char *customer_id,
                    uint32_t fields);
void api_audit_bulk(struct http_req *r, uint32_t fields, const char *object);

/* Common helpers (common.c). */
const char *api_time(struct arena *a, int64_t ms); /* RFC 3339 in the arena: time_rfc3339() */
/* ?limit= within [1, max], default `def`; raises KT_EBADREQ bad_parameter. */
enum kt_rc api_limit(struct http_req *r, int def, int max, int *out, struct kt_err *err);
/* A versioned resource's GET: no query parameter but ?version=, a number from 1 into *version
 * (0, the latest, without it); raises KT_EBADREQ bad_parameter. */
enum kt_rc api_version_query(struct http_req *r, int64_t *version, struct kt_err *err);
/* ?since= and ?until= as RFC 3339 times into *since and *until (left as they are when absent);
 * raises KT_EBADREQ bad_parameter. */
enum kt_rc api_since_until(struct http_req *r, int64_t *since, int64_t *until, struct kt_err *err);
/*
 * Paging (docs/api.md, "Lists"): `?cursor=` opened as the position api_next_cursor sealed for the
 * same `list` and `scope` (the resource the list belongs to, as the path names it; "" for none);
 * *pos is NULL on the first page. Anything else - altered, made up, another list's or another
 * customer's - raises 400 bad_cursor. A position is the list's own text (an id, a sequence
 * number); the client only ever sees it sealed (auth/seal.h), so it never learns an internal key.
 */
enum kt_rc api_cursor(struct http_req *r, const char *list, const char *scope, const char **pos,
                      struct kt_err *err);
/* KT_EBADREQ bad_cursor (400), for a position that opened but is not the list's (sealed by another
 * version, or not of the form the list writes). */
enum kt_rc api_bad_cursor(struct kt_err *err);
/* The same for a position that is a number: *pos is left as it is on the first page. */
enum kt_rc api_cursor_num(struct http_req *r, const char *list, const char *scope, int64_t *pos,
                          struct kt_err *err);
/* `next_cursor` of a page: `pos` sealed for `list` and `scope`, or null when `pos` is NULL (the
 * last page). New reference. */
json_t *api_next_cursor(struct http_req *r, const char *list, const char *scope, const char *pos);
/* The customer named by the path's {id}, following merges; KT_ENOTFOUND "customer_not_found",
 * also for a key limited to stores when the customer was in none of them (api_customer_visible).
 * A blocked customer (152-FZ art. 21) the key may see is 423 "customer_blocked"
 * (api_unblocked_for). */
enum kt_rc api_path_customer(struct http_req *r, struct store_conn *c, struct customer *cu,
                             struct kt_err *err);
/* The same, blocked or not: for the routes a block lets through (may-send, a withdrawal of
 * consent, an unsubscribe, the block itself). */
enum kt_rc api_path_customer_any(struct http_req *r, struct store_conn *c, struct customer *cu,
                                 struct kt_err *err);
/* What a block lets this request do with customer `cu`: an admin or dpo key's reads (the DPO
 * checks the dispute, the subject's access export goes on: art. 14 still applies), nothing else -
 * any other request is 423 "customer_blocked" on `field`. */
/* A customer a lookup found, as the reply shows them (their block, if any), the read audited:
 * NULL with err clear when the caller is not to know them (another store's customer for a key
 * limited to stores); NULL with KT_ELOCKED when their processing is blocked and the caller is
 * neither admin nor dpo (the attempt audited); NULL with another error on a store failure. */
json_t *api_customer_found(struct http_req *r, struct store_conn *rd, const struct customer *cu,
                           const char *param, struct kt_err *err);
enum kt_rc api_unblocked_for(struct http_req *r, struct store_conn *c, const struct customer *cu,
                             const char *field, struct kt_err *err);
/* A refusal in `err` of customer `ck` for being blocked (KT_ELOCKED, from a check made before
 * the store key's limit could be), told only to a key that may see them: for a key limited to
 * stores and another store's customer it becomes their 404 customer_not_found
 * (api_customer_visible). Returns err->rc; any other error passes unchanged. */
enum kt_rc api_blocked_to(struct http_req *r, struct store_conn *c, int64_t ck, struct kt_err *err);

/* The limits of a key limited to stores (docs/privacy.md, "Roles and scopes"); every check passes
 * for any other key. Routes whose handlers call them carry ROUTE_STORES (routes.c).
 *
 * api_customer_visible: whether the caller may see customer `ck` - for a store key, only when
 * they were in one of its stores (a purchase there, or a change of theirs written with it as the
 * source's store), not counting what request `except_request` (NULL: none) wrote; otherwise the
 * 404 customer_not_found of a customer that does not exist, word for word, so a store key cannot
 * tell another store's customer from nobody. */
enum kt_rc api_customer_visible(struct http_req *r, struct store_conn *c, int64_t ck,
                                const char *except_request, struct kt_err *err);
/* A write names `store` (NULL: none) at `field`: a store key may write only for its own stores
 * (403 store_not_allowed). */
enum kt_rc api_store_allowed(struct http_req *r, const char *store, const char *field,
                             struct kt_err *err);
/* Frees a JSON value with the arena. Returns v. */
json_t *api_own(struct arena *a, json_t *v);

#endif
