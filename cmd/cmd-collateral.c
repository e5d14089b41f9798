/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos collateral fetch: what a TDX or SGX quote needs from Intel PCS or a
 * PCCS (API v4), written into a directory in the shapes --collateral reads:
 *   <tee>-<FMSPC>/tcb_info.json + tcb_info_issuer_chain.pem
 *   <tee>-qe_identity.json + <tee>-qe_identity_issuer_chain.pem
 *   pck_crl_<ca>.der + pck_crl_<ca>_issuer_chain.pem, root_ca_crl.der
 * Every reply is checked to be the collateral it claims to be before it is
 * written (to a temporary name, then renamed): a bad reply leaves the cache as
 * it was. The library itself never touches the network; this is the CLI's,
 * off unless asked for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include <custos/custos.h>

#include "../src/base/encoding.h"
#include "../src/base/limits.h"
#include "../src/crypto/openssl-util.h"
#include "../src/crypto/x509.h"
#include "../src/evidence/dcap.h"
#include "cli.h"
#include "cmd-collateral.h"
#include "curl-body.h"

struct reply {
	struct cu_curl_body body;
	const char *want_header; /* the issuer chain's header, lower case */
	char *header;            /* its value, URL-decoded */
};

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t len = size * n, k = strlen(r->want_header);

	if (r->want_header[0] && len > k + 1 && strncasecmp(p, r->want_header, k) == 0 &&
	    p[k] == ':' && !r->header) {
		char *v = p + k + 1;
		size_t vlen = len - k - 1;
		int out = 0;
		char *dec;

		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		dec = curl_easy_unescape(NULL, v, (int)vlen, &out);
		if (dec) {
			r->header = strndup(dec, (size_t)out);
			curl_free(dec);
		}
	}
	return len;
}

static int get(const char *url, const char *ca, struct reply *r, char *why, size_t why_size)
{
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;

	if (!c) {
		snprintf(why, why_size, "cannot initialise libcurl");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cu_curl_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(why, why_size, "%s: %s", url, curl_easy_strerror(rc));
		return -1;
	}
	if (status != 200) {
		snprintf(why, why_size, "%s: HTTP status %ld", url, status);
		return -1;
	}
	if (r->want_header[0] && !r->header) {
		snprintf(why, why_size, "%s: no %s header (the issuer chain)", url, r->want_header);
		return -1;
	}
	return 0;
}

static void reply_done(struct reply *r)
{
	free(r->body.data);
	free(r->header);
	memset(r, 0, sizeof(*r));
}

/* Write atomically: a temporary file in the same directory, then rename. */
static int write_file(const char *dir, const char *name, const void *data, size_t size, char *why,
                      size_t why_size)
{
	char path[4096], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (!(f = fopen(tmp, "wb")) || fwrite(data, 1, size, f) != size || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		snprintf(why, why_size, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The reply holds at least one object of collateral (certificates, CRLs, Intel JSON). */
static int is_collateral(const void *data, size_t size, const char *what, char *why,
                         size_t why_size)
{
	cu_verifier *v = NULL;
	struct cu_error err = { 0 };
	int r;

	if (cu_verifier_new(&v, &err) < 0) {
		snprintf(why, why_size, "%s", err.message);
		return -1;
	}
	r = cu_verifier_add_collateral_mem(v, data, size, what, &err);
	cu_verifier_free(v);
	if (r <= 0) {
		snprintf(why, why_size, "the %s received is not collateral%s%s", what,
		         r < 0 ? ": " : "", r < 0 ? err.message : "");
		return -1;
	}
	return 0;
}

/* One document and, when it has one, its issuer chain from the given header. */
static int fetch_one(const struct cu_fetch *f, const char *path_query, const char *header,
                     const char *subdir, const char *name, const char *chain_name, char *why,
                     size_t why_size)
{
	struct reply r = { .want_header = header };
	char url[4096], dir[4096];
	const void *data;
	size_t size;
	_cleanup_free_ uint8_t *der = NULL;
	int k = -1;

	snprintf(url, sizeof(url), "%s%s", f->url, path_query);
	snprintf(dir, sizeof(dir), "%s%s%s", f->dir, subdir[0] ? "/" : "", subdir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(why, why_size, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (get(url, f->ca, &r, why, why_size) < 0)
		goto out;
	data = r.body.data;
	size = r.body.size;
	/* a PCCS may answer a CRL in hex */
	if (strstr(name, ".der") && size && cu_hex_decoded_size(r.body.data, size) > 0) {
		long n = cu_hex_decoded_size(r.body.data, size);

		if (!(der = malloc((size_t)n)) ||
		    cu_hex_decode(r.body.data, size, der, (size_t)n) < 0)
			goto out;
		data = der;
		size = (size_t)n;
	}
	if (is_collateral(data, size, name, why, why_size) < 0 ||
	    (r.header && is_collateral(r.header, strlen(r.header), chain_name, why, why_size) < 0))
		goto out;
	if ((r.header &&
	     write_file(dir, chain_name, r.header, strlen(r.header), why, why_size) < 0) ||
	    write_file(dir, name, data, size, why, why_size) < 0)
		goto out;
	k = 0;
out:
	reply_done(&r);
	return k;
}

int cu_dcap_fetch(const struct cu_fetch *f, const uint8_t *quote, size_t size, char *why,
                  size_t why_size)
{
	struct cu_dcap_quote q;
	struct cu_dcap_pck pck;
	struct cu_error err = { 0 };
	_cleanup_x509_stack_ STACK_OF(X509) *chain = NULL;
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
	char fmspc[13], issuer[96] = "", pq[256], sub[64], name[96], chain_name[96];
	const char *tee, *ca;

	if (cu_dcap_quote_parse(quote, size, &q, &err) < 0 ||
	    cu_x509_parse_any(q.pck_chain, q.pck_chain_size, &chain, &crls, &err) <= 0 ||
	    cu_dcap_pck_parse(sk_X509_value(chain, 0), &pck, &err) < 0) {
		snprintf(why, why_size, "not a DCAP quote with a PCK certificate: %s", err.message);
		return -1;
	}
	tee = q.tee_type == CU_DCAP_TEE_TDX ? "tdx" : "sgx";
	cu_hex_encode(pck.fmspc, 6, fmspc);
	X509_NAME_get_text_by_NID(X509_get_issuer_name(sk_X509_value(chain, 0)), NID_commonName,
	                          issuer, sizeof(issuer));
	ca = strstr(issuer, "Processor") ? "processor" : "platform";
	if (mkdir(f->dir, 0755) < 0 && errno != EEXIST) {
		snprintf(why, why_size, "cannot create %s: %s", f->dir, strerror(errno));
		return -1;
	}
	snprintf(pq, sizeof(pq), "/%s/certification/v4/tcb?fmspc=%s", tee, fmspc);
	snprintf(sub, sizeof(sub), "%s-%s", tee, fmspc);
	if (fetch_one(f, pq, "tcb-info-issuer-chain", sub, "tcb_info.json",
	              "tcb_info_issuer_chain.pem", why, why_size) < 0)
		return -1;
	snprintf(pq, sizeof(pq), "/%s/certification/v4/qe/identity", tee);
	snprintf(name, sizeof(name), "%s-qe_identity.json", tee);
	snprintf(chain_name, sizeof(chain_name), "%s-qe_identity_issuer_chain.pem", tee);
	if (fetch_one(f, pq, "sgx-enclave-identity-issuer-chain", "", name, chain_name, why,
	              why_size) < 0)
		return -1;
	snprintf(pq, sizeof(pq), "/sgx/certification/v4/pckcrl?ca=%s&encoding=der", ca);
	snprintf(name, sizeof(name), "pck_crl_%s.der", ca);
	snprintf(chain_name, sizeof(chain_name), "pck_crl_%s_issuer_chain.pem", ca);
	if (fetch_one(f, pq, "sgx-pck-crl-issuer-chain", "", name, chain_name, why, why_size) < 0)
		return -1;
	return fetch_one(f, "/sgx/certification/v4/rootcacrl", "", "", "root_ca_crl.der", "", why,
	                 why_size);
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: %s collateral fetch --url URL --out DIR [--ca FILE] QUOTE\n"
	        "\n"
	        "Fetch what a TDX or SGX quote needs to verify offline from Intel PCS or a PCCS\n"
	        "(API v4): the TCB info and QE identity for its TEE and FMSPC, the PCK CRL of\n"
	        "its CA and the root CA CRL, with their issuer chains, into DIR (created; files\n"
	        "replaced atomically, each checked to be collateral first). Then:\n"
	        "  %s verify --collateral DIR QUOTE\n"
	        "Everything fetched is signed by Intel and verified against the pinned root\n"
	        "when used, so a plain-HTTP PCCS cannot forge collateral; it can only withhold.\n"
	        "\n"
	        "  --url URL   e.g. https://api.trustedservices.intel.com or https://pccs:8081\n"
	        "  --out DIR   the collateral directory (a cache: one per machine is fine)\n"
	        "  --ca FILE   CA certificates for the server's TLS (default: the system's)\n",
	        prog, prog);
}

int cmd_collateral(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "out", required_argument, NULL, 'o' },
		{ "ca", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cu_fetch f = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	char why[1024];
	size_t size;
	int c, r;

	if (argc < 2 || strcmp(argv[1], "fetch") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help"))) {
			usage(stdout);
			return 0;
		}
		return usage_error("collateral: the subcommand is 'fetch'");
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			f.url = optarg;
			break;
		case 'o':
			f.dir = optarg;
			break;
		case 'c':
			f.ca = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("collateral fetch: invalid option");
		}
	}
	if (!f.url || !f.dir || optind != argc - 1)
		return usage_error("collateral fetch: --url URL --out DIR QUOTE are required");
	if ((r = read_input(argv[optind], CU_LIMIT_EVIDENCE_SIZE, &buf, &size)))
		return r;
	if (cu_dcap_fetch(&f, buf, size, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s: collateral fetch: %s\n", prog, why);
		return EXIT_REJECTED;
	}
	fprintf(stderr, "%s: collateral for %s written to %s\n", prog, argv[optind], f.dir);
	return 0;
}
