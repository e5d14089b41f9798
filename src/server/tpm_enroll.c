/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM attestation keys registered by credential activation.
 *
 *   POST /v1/tpm/enroll   {"ek_public", "ek_cert", "ak_public"} (base64)
 *     The EK certificate chains to a TPM root of the collateral and certifies
 *     ek_public; the AK is a restricted signing key fixed to its TPM. A fresh
 *     secret is sealed with MakeCredential to that EK for that AK's Name.
 *     -> {"session", "ak_name", "credential_blob", "encrypted_secret"}
 *   POST /v1/tpm/activate {"session", "secret"} (base64)
 *     Only the TPM holding both keys can recover the secret
 *     (TPM2_ActivateCredential), so the right secret registers the AK: its
 *     quotes are trusted from then on ("trust": "registered"). Audited.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/macro.h"
#include "../evidence/tpm.h"
#include "../store/store.h"
#include "service.h"
#include "tpm_enroll.h"

static int b64_field(const json_t *body, const char *name, uint8_t **ret, size_t *size)
{
	const char *s = json_string_value(json_object_get(body, name));

	return s &&
	               (cu_base64_decode(s, strlen(s), ret, size) == 0 ||
	                cu_base64url_decode(s, strlen(s), ret, size) == 0) &&
	               *size
	           ? 0
	           : -1;
}

void cu_tpm_enroll(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };
	json_auto_t *body = NULL, *pending = NULL, *out = NULL;
	_cleanup_free_ uint8_t *ek = NULL, *cert = NULL, *ak = NULL;
	_cleanup_free_ char *pem = NULL, *text = NULL, *blob = NULL, *sec = NULL;
	size_t ek_size = 0, cert_size = 0, ak_size = 0;
	char name[2 * 66 + 1], ek_desc[600];
	uint8_t raw_name[66];
	struct cu_tpm_credential cred;

	if (cu_json_parse((const char *)req->body, req->body_size, svc->config.max_body, "request",
	                  &body, &err) < 0) {
		cu_http_reply_error(resp, 400, "bad request", err.message);
		return;
	}
	if (b64_field(body, "ek_public", &ek, &ek_size) < 0 ||
	    b64_field(body, "ek_cert", &cert, &cert_size) < 0 ||
	    b64_field(body, "ak_public", &ak, &ak_size) < 0) {
		cu_http_reply_error(
		    resp, 400, "bad request",
		    "expected {\"ek_public\", \"ek_cert\", \"ak_public\"}, each base64");
		return;
	}
	if (cu_tpm_ak_for_registration(ak, ak_size, name, &pem, &err) < 0 ||
	    cu_tpm_check_ek(svc->verifier, ek, ek_size, cert, cert_size, (int64_t)time(NULL),
	                    ek_desc, sizeof(ek_desc), &err) < 0) {
		cu_http_reply_error(resp, 401, err.stage ? err.stage : "tpm", err.message);
		return;
	}
	cu_http_log_set(req, "tee", "tpm");
	/* the secret is the session's nonce; what to register travels with the session */
	if (cu_server_session_new(svc, "tpm-enroll", "tpm", &s, &err) < 0) {
		cu_http_reply_error(resp, 503, "store", err.message);
		return;
	}
	pending = json_pack("{s:s,s:s,s:s}", "ak_name", name, "pem", pem, "ek", ek_desc);
	text = pending ? json_dumps(pending, JSON_COMPACT) : NULL;
	if (!text || cu_store_session_set_token(svc->store, s.id, text, &err) < 0) {
		cu_http_reply_error(resp, 503, "store",
		                    err.message[0] ? err.message : "out of memory");
		cu_session_clear(&s);
		return;
	}
	if (strlen(name) / 2 > sizeof(raw_name) ||
	    cu_hex_decode(name, strlen(name), raw_name, strlen(name) / 2) < 0 ||
	    cu_tpm_make_credential(ek, ek_size, raw_name, strlen(name) / 2, s.nonce,
	                           sizeof(s.nonce), &cred, &err) < 0) {
		cu_http_reply_error(resp, 401, "credential", err.message);
		cu_session_clear(&s);
		return;
	}
	blob = cu_base64_encode_alloc(cred.credential_blob, cred.credential_blob_size);
	sec = cu_base64_encode_alloc(cred.encrypted_secret, cred.encrypted_secret_size);
	out = blob && sec ? json_pack("{s:s,s:s,s:s,s:s}", "session", s.id, "ak_name", name,
	                              "credential_blob", blob, "encrypted_secret", sec)
	                  : NULL;
	cu_http_reply_json(resp, 200, out);
	OPENSSL_cleanse(&cred, sizeof(cred));
	cu_session_clear(&s);
}

void cu_tpm_activate(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };
	json_auto_t *body = NULL, *pending = NULL, *rec = NULL, *out = NULL;
	_cleanup_free_ uint8_t *secret = NULL;
	size_t secret_size = 0;
	const char *session = NULL, *name, *pem, *ek;
	int64_t at = (int64_t)time(NULL);

	if (cu_json_parse((const char *)req->body, req->body_size, svc->config.max_body, "request",
	                  &body, &err) < 0) {
		cu_http_reply_error(resp, 400, "bad request", err.message);
		return;
	}
	session = json_string_value(json_object_get(body, "session"));
	if (!session || b64_field(body, "secret", &secret, &secret_size) < 0) {
		cu_http_reply_error(resp, 400, "bad request",
		                    "expected {\"session\", \"secret\" (base64)}");
		return;
	}
	cu_http_log_set(req, "tee", "tpm");
	if (cu_store_session_get(svc->store, session, at, &s, &err) < 0 ||
	    strcmp(s.kind, "tpm-enroll") || !s.token || !strcmp(s.token, "used")) {
		cu_http_reply_error(
		    resp, 401, "session",
		    "unknown, expired or used enrollment: enroll again (/v1/tpm/enroll)");
		cu_session_clear(&s);
		return;
	}
	if (secret_size != sizeof(s.nonce) || CRYPTO_memcmp(secret, s.nonce, sizeof(s.nonce))) {
		cu_http_log_set(req, "decision", "rejected");
		cu_http_reply_error(
		    resp, 401, "credential",
		    "the secret is not the one sealed to the EK for this AK: the AK is not "
		    "in the TPM that holds the EK");
		cu_session_clear(&s);
		return;
	}
	pending = json_loads(s.token, 0, NULL);
	name = json_string_value(json_object_get(pending, "ak_name"));
	pem = json_string_value(json_object_get(pending, "pem"));
	ek = json_string_value(json_object_get(pending, "ek"));
	rec = json_pack("{s:s,s:s,s:s}", "event", "tpm-ak-registered", "ak_name", name ? name : "",
	                "ek", ek ? ek : "");
	/* one use; on record before the key is trusted, and before the reply */
	if (!name || !pem || !ek || !rec ||
	    cu_store_session_set_token(svc->store, s.id, "used", &err) < 0 ||
	    cu_store_audit_append(svc->store, at, "tpm", rec, NULL, &err) < 0 ||
	    cu_store_tpm_ak_put(svc->store, name, pem, ek, at, &err) < 0) {
		cu_http_reply_error(resp, 503, "store",
		                    err.message[0] ? err.message : "out of memory");
		cu_session_clear(&s);
		return;
	}
	cu_http_log_set(req, "decision", "registered");
	out = json_pack("{s:s,s:b}", "ak_name", name, "registered", 1);
	cu_http_reply_json(resp, 200, out);
	cu_session_clear(&s);
}

int cu_tpm_registered_ak(void *ctx, const char *name_hex, char **ret_pem)
{
	struct cu_service *svc = ctx;

	return cu_store_tpm_ak_get(svc->store, name_hex, ret_pem, NULL);
}
