/*
 * routes.c - every route the server answers, with the key scopes that may call it.
 * docs/openapi.json describes exactly these (api_test.c: every_route_is_described and
 * every_description_is_a_route). ROUTE_LONG marks what may take seconds - analytics, reports,
 * exports, jobs run on demand: it runs on the analytic threads so it never holds a worker that
 * serves the tills. ROUTE_PD marks every route whose reply may hold customers' personal data: the
 * router keeps the audit log of its reads complete (http.h); docs/privacy.md lists every route
 * with what it logs, and ctest audit_routes checks that table against these flags.
 *
 * Scopes (issue 19, part F): dpo has the privacy routes - finding a person, their consents and
 * evidence, rectification, access, erasure, the register of requests, acts, documents, the audit
 * log - and nothing of marketing or loyalty; auditor has the audit log and its check only. STORES
 * marks the routes a key limited to stores may call: those that read no customer, and those whose
 * handler applies the limit (api_customer_visible, api_store_allowed); any other route refuses
 * such a key, so a new route is closed to it until someone decides otherwise. docs/api.md,
 * "Scopes by route", is this table in words; ctest route_scopes holds the two together.
 *
 * The console's roles (issue 15, part 3; a session's user holds one as a key holds its scope):
 * MARKETER has every ADMIN route but the API keys, the users, the privacy settings, the clock,
 * the providers' callbacks, the run of every due job (it erases by retention) and the DPO's work
 * (requests, incidents, acts, the audit log, exports, erasures, blocks, consent evidence, the
 * consent documents' texts). ANALYST reads and never writes: the GETs of customers, reports,
 * segments, templates, campaigns, journeys, loyalty and events, and POST /v1/segments/preview (a
 * count and a sample, nothing stored); never a file (the router refuses an analyst any reply that
 * is not JSON: exports, a segment's CSV, QR codes) nor a token to act for a customer
 * (unsubscribe and questionnaire links). ANALYST here is also the mark that a route's reply was
 * walked by the mask (http/mask.c: phones and e-mails masked in every analyst's reply) and by
 * tests/e2e/test_roles.py, which calls every ANALYST route and fails on one it does not know.
 * MANAGER (a store manager's key, always limited to stores) has the GETs marked STORES - its
 * stores' customers, their cards, points, purchases and events, the reference lists, and the
 * quality report, whose handler answers a store key only its stores' rows of `sources` - and
 * nothing else; the other reports aggregate the chain, so they are refused it.
 */
#include "api/api.h"

#define ADMIN      SCOPE_ADMIN
#define POS        SCOPE_POS
#define COLLECT    SCOPE_COLLECT
#define DPO        SCOPE_DPO
#define AUDITOR    SCOPE_AUDITOR
#define DELIVERIES SCOPE_DELIVERIES
#define MARKETER   SCOPE_MARKETER
#define ANALYST    SCOPE_ANALYST
#define MANAGER    SCOPE_MANAGER
#define STORES     ROUTE_STORES
#define TRACK      (ROUTE_JSON | ROUTE_BEACON | ROUTE_TRACK | ROUTE_BULK) /* Segment SDKs' routes */

const struct route api_routes[] = {
    {HTTP_GET, "/healthz", api_healthz, ROUTE_PUBLIC, 0},
    {HTTP_GET, "/readyz", api_readyz, ROUTE_PUBLIC, 0},
    {HTTP_GET, "/metrics", api_metrics, ROUTE_PUBLIC, 0},
    {HTTP_GET, "/v1/openapi.json", api_openapi, ROUTE_PUBLIC, 0},

    /* The console's session: the cookie is the credential (http/cookie.c), no key. */
    {HTTP_POST, "/v1/session", api_session_login, ROUTE_PUBLIC, ROUTE_JSON},
    {HTTP_GET, "/v1/session", api_session_get, ROUTE_PUBLIC, ROUTE_SESSION},
    {HTTP_DELETE, "/v1/session", api_session_delete, ROUTE_PUBLIC, ROUTE_SESSION},
    {HTTP_POST, "/v1/session/totp", api_session_totp, ROUTE_PUBLIC, ROUTE_JSON | ROUTE_SESSION},
    {HTTP_POST, "/v1/session/totp/setup", api_session_totp_setup, ROUTE_PUBLIC, ROUTE_SESSION},
    {HTTP_POST, "/v1/session/totp/enable", api_session_totp_enable, ROUTE_PUBLIC,
     ROUTE_JSON | ROUTE_SESSION},
    /* The console's users (the settings screen): staff, not customers. */
    {HTTP_GET, "/v1/users", api_users_list, ADMIN, 0},
    {HTTP_POST, "/v1/users", api_users_create, ADMIN, ROUTE_JSON},
    {HTTP_PATCH, "/v1/users/{id}", api_users_patch, ADMIN, ROUTE_JSON},

    {HTTP_POST, "/v1/customers", api_customers_upsert, ADMIN | POS | COLLECT | MARKETER,
     ROUTE_JSON | ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers", api_customers_list,
     ADMIN | POS | DPO | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}", api_customers_get,
     ADMIN | POS | DPO | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_PATCH, "/v1/customers/{id}", api_customers_patch, ADMIN | POS | DPO | MARKETER,
     ROUTE_JSON | ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}/history", api_customers_history,
     ADMIN | DPO | MARKETER | ANALYST, ROUTE_PD},
    {HTTP_GET, "/v1/customers/{id}/traits", api_customer_traits, ADMIN | MARKETER | ANALYST,
     ROUTE_PD},
    {HTTP_GET, "/v1/customers/{id}/segments", api_customer_segments, ADMIN | MARKETER | ANALYST,
     ROUTE_PD},
    {HTTP_POST, "/v1/customers/{id}/merge", api_customers_merge, ADMIN | MARKETER,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/customers/{id}/unmerge", api_customers_unmerge, ADMIN | MARKETER, ROUTE_PD},
    {HTTP_GET, "/v1/duplicates", api_duplicates_list, ADMIN | MARKETER, ROUTE_PD},
    {HTTP_POST, "/v1/duplicates/{id}/merge", api_duplicates_merge, ADMIN | MARKETER, ROUTE_PD},
    {HTTP_POST, "/v1/duplicates/{id}/reject", api_duplicates_reject, ADMIN | MARKETER, ROUTE_PD},

    {HTTP_POST, "/v1/clean", api_clean, ADMIN | POS | COLLECT | MARKETER, ROUTE_JSON | STORES},

    {HTTP_POST, "/v1/imports", api_imports_create, ADMIN | MARKETER, ROUTE_UPLOAD},
    {HTTP_GET, "/v1/imports", api_imports_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/imports/{id}", api_imports_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/imports/{id}/rejects", api_imports_rejects, ADMIN | MARKETER, ROUTE_PD},

    {HTTP_GET, "/v1/reports/quality", api_reports_quality, ADMIN | MARKETER | ANALYST | MANAGER,
     ROUTE_LONG | ROUTE_PD | STORES},
    {HTTP_GET, "/v1/reports/quality/daily", api_reports_quality_daily, ADMIN | MARKETER | ANALYST,
     ROUTE_LONG},

    {HTTP_GET, "/v1/customers/{id}/consents", api_consents_get,
     ADMIN | POS | DPO | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_POST, "/v1/customers/{id}/consents", api_consents_post, ADMIN | POS | DPO | MARKETER,
     ROUTE_JSON | ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}/consents/evidence", api_consents_evidence, ADMIN | DPO,
     ROUTE_PD},
    {HTTP_GET, "/v1/customers/{id}/subscriptions", api_subs_get,
     ADMIN | POS | DPO | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_POST, "/v1/customers/{id}/subscriptions", api_subs_post, ADMIN | POS | DPO | MARKETER,
     ROUTE_JSON | ROUTE_PD | STORES},
    {HTTP_POST, "/v1/messages", api_messages_post, ADMIN | MARKETER, ROUTE_JSON | ROUTE_PD},
    {HTTP_GET, "/v1/customers/{id}/messages", api_customer_messages,
     ADMIN | DPO | MARKETER | ANALYST, ROUTE_PD},
    {HTTP_GET, "/v1/messaging/caps", api_messaging_caps_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_PUT, "/v1/messaging/caps", api_messaging_caps_put, ADMIN | MARKETER, ROUTE_JSON},
    /* The providers' callbacks, and the public pixel and links of e-mails (signed tokens). */
    {HTTP_POST, "/v1/deliveries/status", api_deliveries_status, ADMIN | DELIVERIES, ROUTE_JSON},
    {HTTP_GET, "/o/{token}", api_track_open, ROUTE_PUBLIC, 0},
    {HTTP_GET, "/c/{token}", api_track_click, ROUTE_PUBLIC, 0},
    {HTTP_GET, "/v1/customers/{id}/may-send", api_may_send,
     ADMIN | POS | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}/unsubscribe-link", api_unsub_link, ADMIN | MARKETER, 0},
    {HTTP_GET, "/v1/customers/{id}/questionnaire-link", api_q_link, ADMIN | MARKETER, 0},
    {HTTP_GET, "/v1/customers/{id}/export", api_customers_export, ADMIN | DPO,
     ROUTE_LONG | ROUTE_PD},
    {HTTP_POST, "/v1/customers/{id}/erase", api_customers_erase, ADMIN | DPO,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/customers/{id}/block", api_customers_block, ADMIN | DPO,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/customers/{id}/unblock", api_customers_unblock, ADMIN | DPO,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_GET, "/v1/customers/{id}/blocks", api_customer_blocks, ADMIN | DPO, ROUTE_PD},

    {HTTP_GET, "/v1/consent-documents", api_documents_list,
     ADMIN | POS | DPO | MARKETER | ANALYST | MANAGER, STORES},
    {HTTP_GET, "/v1/consent-documents/{name}", api_documents_get,
     ADMIN | POS | COLLECT | DPO | MARKETER | ANALYST | MANAGER, STORES},
    {HTTP_PUT, "/v1/consent-documents/{name}", api_documents_put, ADMIN | DPO, ROUTE_JSON},
    {HTTP_GET, "/v1/stores", api_stores_list, ADMIN | POS | MARKETER | ANALYST | MANAGER, STORES},
    {HTTP_GET, "/v1/stores/{code}", api_stores_get, ADMIN | POS | MARKETER | ANALYST | MANAGER,
     STORES},
    {HTTP_PUT, "/v1/stores/{code}", api_stores_put, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_POST, "/v1/join-points", api_join_points_create, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_GET, "/v1/join-points", api_join_points_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/join-points/{code}", api_join_points_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_POST, "/v1/join-points/{code}/disable", api_join_points_disable, ADMIN | MARKETER, 0},
    {HTTP_GET, "/v1/join-points/{code}/qr.svg", api_join_points_qr_svg, ADMIN | MARKETER, 0},
    {HTTP_GET, "/v1/join-points/{code}/qr.png", api_join_points_qr_png, ADMIN | MARKETER, 0},
    {HTTP_GET, "/v1/join-points/{code}/poster.svg", api_join_points_poster, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/campaigns", api_campaigns_create, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_GET, "/v1/campaigns", api_campaigns_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/campaigns/{id}", api_campaigns_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_POST, "/v1/campaigns/{id}/start", api_campaigns_start, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/campaigns/{id}/pause", api_campaigns_pause, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/campaigns/{id}/resume", api_campaigns_resume, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/campaigns/{id}/cancel", api_campaigns_cancel, ADMIN | MARKETER, 0},
    {HTTP_PUT, "/v1/journeys/{key}", api_journeys_put, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_GET, "/v1/journeys", api_journeys_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/journeys/{key}", api_journeys_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_POST, "/v1/journeys/{key}/start", api_journeys_start, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/journeys/{key}/pause", api_journeys_pause, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/journeys/{key}/archive", api_journeys_archive, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/journeys/{key}/simulate", api_journeys_simulate, ADMIN | MARKETER,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_GET, "/v1/customers/{id}/journeys", api_customer_journeys,
     ADMIN | DPO | MARKETER | ANALYST, ROUTE_PD},
    {HTTP_GET, "/v1/reports/journeys/{key}", api_reports_journey, ADMIN | MARKETER | ANALYST,
     ROUTE_LONG},
    /* The retailer's own pages, stylesheet and logo (docs/pages.md): their texts, no one's data. */
    {HTTP_GET, "/v1/pages", api_pages_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/pages/{name}", api_pages_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_PUT, "/v1/pages/{name}", api_pages_put, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_PUT, "/v1/pages/logo", api_pages_logo_put, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/pages/{name}/reset", api_pages_reset, ADMIN | MARKETER, 0},
    {HTTP_GET, "/v1/templates", api_templates_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/templates/{name}", api_templates_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_PUT, "/v1/templates/{name}", api_templates_put, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_POST, "/v1/templates/{name}/preview", api_templates_preview, ADMIN | MARKETER,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/templates/{name}/test", api_templates_test, ADMIN | MARKETER,
     ROUTE_JSON | ROUTE_PD | ROUTE_LONG},
    {HTTP_GET, "/v1/topics", api_topics_list, ADMIN | POS | DPO | MARKETER | ANALYST | MANAGER,
     STORES},
    {HTTP_PUT, "/v1/topics/{name}", api_topics_put, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_GET, "/v1/privacy/settings", api_privacy_settings_get, ADMIN | DPO, 0},
    {HTTP_PUT, "/v1/privacy/settings", api_privacy_settings_put, ADMIN | DPO, ROUTE_JSON},
    {HTTP_POST, "/v1/privacy-requests", api_preq_create, ADMIN | DPO, ROUTE_JSON | ROUTE_PD},
    {HTTP_GET, "/v1/privacy-requests", api_preq_list, ADMIN | DPO, ROUTE_PD},
    {HTTP_GET, "/v1/privacy-requests/{id}", api_preq_get, ADMIN | DPO, ROUTE_PD},
    {HTTP_POST, "/v1/privacy-requests/{id}/close", api_preq_close, ADMIN | DPO,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/privacy-requests/{id}/extend", api_preq_extend, ADMIN | DPO,
     ROUTE_JSON | ROUTE_PD},
    /* The incident register: counting the subjects reads the whole window of the log of reads,
     * so the writes run on the analytic threads. Its replies hold keys and addresses, no
     * customer's data. */
    {HTTP_POST, "/v1/incidents", api_incidents_create, ADMIN | DPO, ROUTE_JSON | ROUTE_LONG},
    {HTTP_GET, "/v1/incidents", api_incidents_list, ADMIN | DPO, 0},
    {HTTP_GET, "/v1/incidents/{id}", api_incidents_get, ADMIN | DPO, 0},
    {HTTP_PATCH, "/v1/incidents/{id}", api_incidents_update, ADMIN | DPO, ROUTE_JSON | ROUTE_LONG},
    {HTTP_GET, "/v1/destruction-acts", api_acts_list, ADMIN | DPO, ROUTE_PD},
    {HTTP_GET, "/v1/destruction-acts/{id}", api_acts_get, ADMIN | DPO, ROUTE_PD},
    {HTTP_GET, "/v1/destruction-acts/{id}/document", api_acts_document, ADMIN | DPO, ROUTE_PD},
    {HTTP_PUT, "/v1/destruction-acts/{id}/signature", api_acts_sign, ADMIN | DPO, ROUTE_PD},
    {HTTP_GET, "/v1/destruction-acts/{id}/signature", api_acts_signature, ADMIN | DPO, ROUTE_PD},
    {HTTP_GET, "/v1/audit", api_audit_list, ADMIN | DPO | AUDITOR, 0},
    {HTTP_GET, "/v1/audit/verify", api_audit_verify, ADMIN | DPO | AUDITOR, ROUTE_LONG},

    {HTTP_GET, "/v1/loyalty/program", api_loyalty_program_get,
     ADMIN | POS | MARKETER | ANALYST | MANAGER, STORES},
    {HTTP_PUT, "/v1/loyalty/program", api_loyalty_program_put, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_POST, "/v1/purchases", api_purchases_post, ADMIN | POS | MARKETER,
     ROUTE_JSON | ROUTE_PD | STORES},
    {HTTP_POST, "/v1/loyalty/quote", api_loyalty_quote, ADMIN | POS | MARKETER,
     ROUTE_JSON | ROUTE_PD | STORES},
    {HTTP_GET, "/v1/purchases/{id}", api_purchase_get, ADMIN | POS | MARKETER | ANALYST | MANAGER,
     ROUTE_PD | STORES},
    {HTTP_POST, "/v1/purchases/{id}/refunds", api_refunds_post, ADMIN | POS | MARKETER,
     ROUTE_JSON | ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}/purchases", api_customer_purchases,
     ADMIN | POS | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_GET, "/v1/reports/loyalty", api_reports_loyalty, ADMIN | MARKETER | ANALYST, ROUTE_LONG},
    {HTTP_POST, "/v1/loyalty/run-due", api_loyalty_run_due, ADMIN, ROUTE_LONG},
    {HTTP_POST, "/v1/events", api_events_post, ADMIN | POS | COLLECT | MARKETER,
     ROUTE_JSON | ROUTE_BEACON | ROUTE_BULK},
    {HTTP_POST, "/v1/events/batch", api_events_batch, ADMIN | POS | COLLECT | MARKETER,
     ROUTE_JSON | ROUTE_BEACON | ROUTE_BULK},
    /* the Segment tracking API (tracking.c, docs/collect.md): the call's name and its letter */
    {HTTP_POST, "/v1/batch", api_track_batch, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/b", api_track_batch, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/track", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/t", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/identify", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/i", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/page", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/p", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/screen", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/s", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/group", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/g", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/alias", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_POST, "/v1/a", api_track_call, ADMIN | POS | COLLECT | MARKETER, TRACK},
    {HTTP_GET, "/v1/event-types", api_event_types_list,
     ADMIN | POS | COLLECT | MARKETER | ANALYST | MANAGER, STORES},
    {HTTP_PUT, "/v1/event-types/{name}", api_event_types_put, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_GET, "/v1/customers/{id}/events", api_customer_events,
     ADMIN | POS | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_GET, "/v1/reports/events", api_reports_events, ADMIN | MARKETER | ANALYST, ROUTE_LONG},
    {HTTP_POST, "/v1/segments/preview", api_segments_preview, ADMIN | MARKETER | ANALYST,
     ROUTE_JSON | ROUTE_LONG | ROUTE_PD},
    {HTTP_POST, "/v1/segments", api_segments_create, ADMIN | MARKETER, ROUTE_JSON | ROUTE_LONG},
    {HTTP_GET, "/v1/segments", api_segments_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/segments/{id}", api_segments_get, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_PUT, "/v1/segments/{id}", api_segments_put, ADMIN | MARKETER, ROUTE_JSON | ROUTE_LONG},
    {HTTP_DELETE, "/v1/segments/{id}", api_segments_delete, ADMIN | MARKETER, 0},
    {HTTP_POST, "/v1/segments/{id}/refresh", api_segments_refresh, ADMIN | MARKETER, ROUTE_LONG},
    {HTTP_GET, "/v1/segments/{id}/members", api_segments_members, ADMIN | MARKETER | ANALYST,
     ROUTE_LONG | ROUTE_PD},
    {HTTP_GET, "/v1/segments/{id}/sizes", api_segments_sizes, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/segments/language", api_segments_language, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_GET, "/v1/reports/rfm", api_reports_rfm, ADMIN | MARKETER | ANALYST,
     ROUTE_LONG | ROUTE_PD},
    {HTTP_GET, "/v1/reports/campaigns/{id}", api_reports_campaign, ADMIN | MARKETER | ANALYST,
     ROUTE_LONG},
    {HTTP_POST, "/v1/traits/rfm", api_traits_rfm, ADMIN | MARKETER, ROUTE_LONG},
    {HTTP_GET, "/v1/reports/replenishment", api_reports_replenishment, ADMIN | MARKETER | ANALYST,
     ROUTE_LONG | ROUTE_PD},
    {HTTP_GET, "/v1/reports/lapsed", api_reports_lapsed, ADMIN | MARKETER | ANALYST,
     ROUTE_LONG | ROUTE_PD},
    {HTTP_GET, "/v1/traits", api_traits_list, ADMIN | MARKETER | ANALYST, 0},
    {HTTP_POST, "/v1/traits/refresh", api_traits_refresh, ADMIN | MARKETER, ROUTE_LONG},
    {HTTP_PUT, "/v1/traits/{name}", api_traits_put, ADMIN | MARKETER, ROUTE_JSON | ROUTE_LONG},
    {HTTP_POST, "/v1/clusters", api_clusters_post, ADMIN | MARKETER, ROUTE_JSON | ROUTE_LONG},
    /* The API keys for the console's settings screen (issue 15, part 3): admin only. */
    {HTTP_GET, "/v1/keys", api_keys_list, ADMIN, 0},
    {HTTP_POST, "/v1/keys", api_keys_create, ADMIN, ROUTE_JSON},
    {HTTP_POST, "/v1/keys/{id}/revoke", api_keys_revoke, ADMIN, 0},
    {HTTP_GET, "/v1/sdk.js", api_sdk_js, ROUTE_PUBLIC, 0},
    {HTTP_PUT, "/v1/system/clock", api_system_clock, ADMIN, ROUTE_JSON},
    {HTTP_POST, "/v1/pos/enroll", api_pos_enroll, ADMIN | POS | MARKETER, ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/pos/otp", api_pos_otp, ADMIN | POS | MARKETER, ROUTE_JSON},
    {HTTP_POST, "/v1/pos/verify", api_pos_verify, ADMIN | POS | MARKETER, ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/cards/batches", api_cards_batch, ADMIN | MARKETER, ROUTE_JSON},
    {HTTP_GET, "/v1/cards/{number}", api_card_get, ADMIN | POS | MARKETER | ANALYST | MANAGER,
     ROUTE_PD | STORES},
    {HTTP_POST, "/v1/cards/{number}/block", api_card_block, ADMIN | POS | MARKETER,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/cards/{number}/replace", api_card_replace, ADMIN | POS | MARKETER,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_POST, "/v1/cards/{number}/unbind", api_card_unbind, ADMIN | MARKETER,
     ROUTE_JSON | ROUTE_PD},
    {HTTP_GET, "/v1/customers/{id}/cards", api_customer_cards,
     ADMIN | POS | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}/points", api_points_get,
     ADMIN | POS | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}/wallet", api_customer_wallet, ADMIN | POS | MARKETER | MANAGER,
     ROUTE_PD | STORES},
    {HTTP_GET, "/v1/customers/{id}/points/history", api_points_history,
     ADMIN | POS | MARKETER | ANALYST | MANAGER, ROUTE_PD | STORES},
    {HTTP_POST, "/v1/customers/{id}/points/adjustments", api_points_adjust, ADMIN | MARKETER,
     ROUTE_JSON | ROUTE_PD},

    /* The customer's preferences and rights, the unsubscribe link's pages: the signed token is
     * the only credential (a POST of /u/{token} may be RFC 8058's one-click, without a form). */
    {HTTP_GET, "/u/{token}", api_unsub_page, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_POST, "/u/{token}", api_unsub_post, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_GET, "/u/{token}/data", api_unsub_data, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_GET, "/u/{token}/erase", api_unsub_erase_page, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_POST, "/u/{token}/erase", api_unsub_erase_post, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    /* The customer's pages' stylesheet (docs/pages.md). */
    {HTTP_GET, "/p/style.css", api_page_style, ROUTE_PUBLIC, ROUTE_PAGE},
    {HTTP_GET, "/p/logo", api_page_logo, ROUTE_PUBLIC, ROUTE_PAGE},
    /* The console (docs/console.md): its app, which logs in through /v1/session. */
    {HTTP_GET, "/admin", api_console_index, ROUTE_PUBLIC, ROUTE_APP},
    {HTTP_GET, "/admin/{path*}", api_console_index, ROUTE_PUBLIC, ROUTE_APP},
    {HTTP_GET, "/admin/assets/{file}", api_console_asset, ROUTE_PUBLIC, ROUTE_APP},
    /* The questionnaire of the enrolment SMS: the signed token is the only credential. */
    {HTTP_GET, "/q/{token}", api_q_page, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_POST, "/q/{token}", api_q_post, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    /* The join form of a join point and its tablet mode (docs/pages.md, "The join form"). */
    {HTTP_GET, "/j/{code}", api_join_page, ROUTE_PUBLIC, ROUTE_PAGE},
    {HTTP_POST, "/j/{code}", api_join_post, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_GET, "/t/{code}", api_tablet_page, ROUTE_PUBLIC, ROUTE_PAGE},
    {HTTP_POST, "/t/{code}", api_tablet_post, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_GET, "/j/{code}/doc", api_join_doc, ROUTE_PUBLIC, ROUTE_PAGE},
    {HTTP_GET, "/j/{code}/confirm/{token}", api_join_code_page, ROUTE_PUBLIC, ROUTE_PAGE},
    {HTTP_POST, "/j/{code}/confirm/{token}", api_join_code_post, ROUTE_PUBLIC,
     ROUTE_PD | ROUTE_PAGE},
    {HTTP_GET, "/j/{code}/card/{token}", api_join_card, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    /* Wallet cards (docs/wallet.md): the link's signed token is the only credential; Apple's
     * web service for passes is authorised by each pass's own token (ApplePass). */
    {HTTP_GET, "/w/{token}/apple", api_wallet_apple, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_GET, "/w/{token}/google", api_wallet_google, ROUTE_PUBLIC, ROUTE_PD | ROUTE_PAGE},
    {HTTP_POST, "/wallet/v1/devices/{device}/registrations/{pass_type}/{serial}",
     api_wallet_register, ROUTE_PUBLIC, ROUTE_JSON},
    {HTTP_DELETE, "/wallet/v1/devices/{device}/registrations/{pass_type}/{serial}",
     api_wallet_unregister, ROUTE_PUBLIC, 0},
    {HTTP_GET, "/wallet/v1/devices/{device}/registrations/{pass_type}", api_wallet_serials,
     ROUTE_PUBLIC, 0},
    {HTTP_GET, "/wallet/v1/passes/{pass_type}/{serial}", api_wallet_pass, ROUTE_PUBLIC, ROUTE_PD},
    {HTTP_POST, "/wallet/v1/log", api_wallet_log, ROUTE_PUBLIC, ROUTE_JSON},

    {HTTP_GET, "/v1/attributes", api_attributes_list,
     ADMIN | POS | COLLECT | MARKETER | ANALYST | MANAGER, STORES},
    {HTTP_GET, "/v1/attributes/{name}", api_attributes_get,
     ADMIN | POS | COLLECT | MARKETER | ANALYST | MANAGER, STORES},
    {HTTP_PUT, "/v1/attributes/{name}", api_attributes_put, ADMIN | MARKETER, ROUTE_JSON},
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
