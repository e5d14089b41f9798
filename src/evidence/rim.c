/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA reference integrity manifests: SWID tags (ISO/IEC 19770-2:2015,
 * TCG RIM information model) listing golden measurements, signed with an
 * enveloped XML-DSig signature (ECDSA-SHA384, C14N 1.1) whose KeyInfo
 * carries the signer's chain to the NVIDIA RIM root.
 *
 * The signature is checked by xmlsec1; nothing here canonicalizes or hashes
 * XML. Its context is narrowed to what a RIM needs: one reference, to the
 * whole document (URI=""), the enveloped-signature and C14N transforms,
 * SHA-384 and ECDSA-SHA384, and the key we give it (KeyInfo is never used
 * to find a key). The values are then read from the same parsed tree that
 * was verified, so no part of the document escapes the signature.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <openssl/obj_mac.h>
/* clang-format off: xmlsec.h defines the types the other headers use */
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
/* clang-format on */

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "../crypto/openssl-util.h"
#include "nvgpu.h"

#define SWID_NS  "http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
#define HASH_NS  "http://www.w3.org/2001/04/xmlenc#sha384"
#define BAD(...) cu_fail(err, CU_ERR_MALFORMED, "rim", "rim: " __VA_ARGS__)

static pthread_once_t xmlsec_once = PTHREAD_ONCE_INIT;
static bool xmlsec_ready;

/* xmlsec reports every failure on stderr by default: ours are errors returned. */
static void xmlsec_quiet(const char *file, int line, const char *func, const char *obj,
                         const char *subject, int reason, const char *msg)
{
}

/* libxml2's own messages (C14N, encodings) would reach stderr: hostile input must not. */
static void xml_quiet(void *ctx, const char *msg, ...)
{
}

static void xml_quiet_structured(void *ctx, xmlErrorPtr error)
{
}

static void xmlsec_init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0)
		return;
	if (xmlSecCheckVersion() != 1 || xmlSecOpenSSLAppInit(NULL) < 0 || xmlSecOpenSSLInit() < 0)
		return;
	xmlSecErrorsSetCallback(xmlsec_quiet);
	xmlsec_ready = true;
}

bool cu_xmlsec_ready(void)
{
	pthread_once(&xmlsec_once, xmlsec_init);
	return xmlsec_ready;
}

bool cu_rim_detect(const uint8_t *buf, size_t size)
{
	static const char tag[] = "<SoftwareIdentity";
	size_t n = size < 1024 ? size : 1024;

	return n > 0 && buf[0] == '<' && memmem(buf, n, tag, sizeof(tag) - 1);
}

void cu_rim_done(struct cu_rim *rim)
{
	if (!rim)
		return;
	for (size_t i = 0; i < rim->n_m; i++)
		free(rim->m[i].values);
	free(rim->m);
	cu_x509_stack_freep(&rim->certs);
	memset(rim, 0, sizeof(*rim));
}

static bool is_elem(const xmlNode *n, const char *name, const char *ns)
{
	return n && n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name) && n->ns &&
	       !xmlStrcmp(n->ns->href, BAD_CAST ns);
}

/* The only child element `name` of `parent` in `ns`; NULL when absent or repeated. */
static xmlNode *only_child(xmlNode *parent, const char *name, const char *ns, bool *twice)
{
	xmlNode *found = NULL;

	*twice = false;
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (is_elem(c, name, ns)) {
			if (found)
				*twice = true;
			found = c;
		}
	return *twice ? NULL : found;
}

static size_t count_signatures(const xmlNode *n)
{
	size_t k = 0;

	for (; n; n = n->next) {
		if (is_elem(n, "Signature", (const char *)xmlSecDSigNs))
			k++;
		if (n->type == XML_ELEMENT_NODE)
			k += count_signatures(n->children);
	}
	return k;
}

/* An attribute as a string copied into buf; false when absent or too long. */
static bool attr(xmlNode *n, const char *name, const char *ns, char *buf, size_t size)
{
	xmlChar *v =
	    ns ? xmlGetNsProp(n, BAD_CAST name, BAD_CAST ns) : xmlGetNoNsProp(n, BAD_CAST name);
	bool ok = v && strlen((const char *)v) < size;

	if (ok)
		strcpy(buf, (const char *)v);
	xmlFree(v);
	return ok;
}

static bool attr_uint(xmlNode *n, const char *name, unsigned max, unsigned *ret)
{
	char buf[16], *end;
	unsigned long v;

	if (!attr(n, name, NULL, buf, sizeof(buf)) || !isdigit((unsigned char)buf[0]))
		return false;
	v = strtoul(buf, &end, 10);
	if (*end || v > max)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* KeyInfo/X509Data/X509Certificate, in document order: the signer first. */
static int read_certs(xmlNode *sig, struct cu_rim *rim, struct cu_error *err)
{
	bool twice;
	xmlNode *ki = only_child(sig, "KeyInfo", (const char *)xmlSecDSigNs, &twice);
	xmlNode *xd = only_child(ki, "X509Data", (const char *)xmlSecDSigNs, &twice);

	if (!xd)
		return BAD("the signature carries no KeyInfo/X509Data");
	if (!(rim->certs = sk_X509_new_null()))
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	for (xmlNode *c = xd->children; c; c = c->next) {
		_cleanup_free_ char *text = NULL;
		_cleanup_free_ uint8_t *der = NULL;
		const uint8_t *p;
		size_t n = 0, der_size;
		X509 *x;

		if (!is_elem(c, "X509Certificate", (const char *)xmlSecDSigNs))
			continue;
		if (sk_X509_num(rim->certs) >= (int)CU_LIMIT_CHAIN_LENGTH)
			return BAD("more than %u certificates in KeyInfo", CU_LIMIT_CHAIN_LENGTH);
		text = (char *)xmlNodeGetContent(c);
		if (!text)
			return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
		for (char *s = text; *s; s++)
			if (!isspace((unsigned char)*s))
				text[n++] = *s;
		if (cu_base64_decode(text, n, &der, &der_size) < 0)
			return BAD("X509Certificate %d is not base64", sk_X509_num(rim->certs));
		p = der;
		x = d2i_X509(NULL, &p, (long)der_size);
		if (!x || p != der + der_size || !sk_X509_push(rim->certs, x)) {
			X509_free(x);
			return BAD("X509Certificate %d is not DER X.509", sk_X509_num(rim->certs));
		}
	}
	if (sk_X509_num(rim->certs) == 0)
		return BAD("the signature's KeyInfo holds no certificate");
	return 0;
}

/* The enveloped signature, checked with the signer certificate's P-384 key. */
static int check_signature(xmlNode *sig, X509 *signer, struct cu_error *err)
{
	EVP_PKEY *pkey = X509_get_pubkey(signer);
	xmlSecKeyDataPtr data = NULL;
	xmlSecKeyPtr key = NULL;
	xmlSecDSigCtxPtr ctx = NULL;
	char group[16] = "";
	int r = 0;

	if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) ||
	    strcmp(group, "secp384r1")) {
		EVP_PKEY_free(pkey);
		return cu_fail(err, CU_ERR_UNSUPPORTED, "rim",
		               "rim: the signing certificate's key is not EC P-384");
	}
	if (!(data = xmlSecOpenSSLEvpKeyAdopt(pkey))) {
		EVP_PKEY_free(pkey);
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	}
	if (!(key = xmlSecKeyCreate()) || xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		r = cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
		goto out;
	}
	if (!(ctx = xmlSecDSigCtxCreate(NULL))) {
		r = cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
		goto out;
	}
	ctx->signKey = TAKE_PTR(key);
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	if (xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformInclC14N11Id) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformEcdsaSha384Id) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformInclC14N11Id) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha384Id) < 0) {
		r = cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
		goto out;
	}
	if (xmlSecDSigCtxVerify(ctx, sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded ||
	    xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1)
		r = cu_fail(err, CU_ERR_SIGNATURE, "rim",
		            "rim: the XML signature does not verify (ECDSA-SHA384 over the "
		            "C14N 1.1 document, one reference to the whole document)");
out:
	if (key)
		xmlSecKeyDestroy(key);
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	return r;
}

static int read_resource(xmlNode *res, struct cu_rim_measurement *m, struct cu_error *err)
{
	char type[32], active[8];
	unsigned size = 0;

	if (!attr(res, "type", NULL, type, sizeof(type)) || strcmp(type, "Measurement"))
		return BAD("Payload/Resource without type=\"Measurement\"");
	if (!attr_uint(res, "index", 255, &m->index))
		return BAD("Payload/Resource: index missing or not 0..255");
	if (!attr(res, "active", NULL, active, sizeof(active)) ||
	    (strcmp(active, "True") && strcmp(active, "False")))
		return BAD("Resource %u: active is neither True nor False", m->index);
	m->active = !strcmp(active, "True");
	if (!attr_uint(res, "alternatives", CU_LIMIT_RIM_ALTERNATIVES, &m->n_alternatives) ||
	    m->n_alternatives == 0)
		return BAD("Resource %u: alternatives missing or not 1..%u", m->index,
		           CU_LIMIT_RIM_ALTERNATIVES);
	if (!attr_uint(res, "size", CU_RIM_VALUE_MAX, &size) || size < 32)
		return BAD("Resource %u: size missing or not 32..64", m->index);
	m->size = size;
	if (!attr(res, "name", NULL, m->name, sizeof(m->name)))
		m->name[0] = '\0';
	if (!(m->values = calloc(m->n_alternatives, sizeof(*m->values))))
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	for (unsigned i = 0; i < m->n_alternatives; i++) {
		char name[16], hex[2 * CU_RIM_VALUE_MAX + 1];

		snprintf(name, sizeof(name), "Hash%u", i);
		if (!attr(res, name, HASH_NS, hex, sizeof(hex)) || strlen(hex) != 2 * size ||
		    cu_hex_decode(hex, strlen(hex), m->values[i], size) < 0)
			return BAD("Resource %u: %s missing or not %u bytes of hex", m->index, name,
			           size);
	}
	return 0;
}

static int read_payload(xmlNode *root, struct cu_rim *rim, struct cu_error *err)
{
	bool twice;
	xmlNode *payload = only_child(root, "Payload", SWID_NS, &twice);
	size_t n = 0;
	int r;

	if (!payload)
		return BAD("%s", twice ? "more than one Payload" : "no Payload");
	for (xmlNode *c = payload->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			n++;
	if (n == 0 || n > CU_LIMIT_RIM_MEASUREMENTS)
		return BAD("Payload holds %zu resources (1..%u)", n, CU_LIMIT_RIM_MEASUREMENTS);
	if (!(rim->m = calloc(n, sizeof(*rim->m))))
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	for (xmlNode *c = payload->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_elem(c, "Resource", SWID_NS))
			return BAD("Payload holds a <%s>, not a Resource", (const char *)c->name);
		r = read_resource(c, &rim->m[rim->n_m++], err);
		if (r < 0)
			return r;
		for (size_t i = 0; i + 1 < rim->n_m; i++)
			if (rim->m[i].index == rim->m[rim->n_m - 1].index)
				return BAD("two resources with index %u", rim->m[i].index);
	}
	return 0;
}

static int read_meta(xmlNode *root, struct cu_rim *rim, struct cu_error *err)
{
	bool twice;
	xmlNode *meta = only_child(root, "Meta", SWID_NS, &twice);

	if (!meta)
		return BAD("%s", twice ? "more than one Meta" : "no Meta");
	if (!attr(meta, "colloquialVersion", NULL, rim->version, sizeof(rim->version)) ||
	    !rim->version[0])
		return BAD("Meta has no colloquialVersion");
	for (char *s = rim->version; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	if (!attr(meta, "product", NULL, rim->product, sizeof(rim->product)))
		rim->product[0] = '\0';
	if (!attr(root, "tagId", NULL, rim->tag_id, sizeof(rim->tag_id)))
		return BAD("SoftwareIdentity has no tagId");
	return 0;
}

int cu_rim_parse(const uint8_t *xml, size_t size, struct cu_rim *ret, struct cu_error *err)
{
	struct cu_rim rim = { 0 };
	xmlParserInputBufferPtr buf;
	xmlParserInputPtr input;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc = NULL;
	xmlNode *root, *sig;
	bool twice;
	int r;

	if (size > CU_LIMIT_RIM_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, "rim", "rim: %zu bytes, limit is %u", size,
		               CU_LIMIT_RIM_SIZE);
	if (!cu_xmlsec_ready())
		return cu_fail(err, CU_ERR_INTERNAL, "rim", "rim: xmlsec1 did not initialise");
	/* per thread in libxml2: set on every call */
	xmlSetGenericErrorFunc(NULL, xml_quiet);
	xmlSetStructuredErrorFunc(NULL, xml_quiet_structured);
	/* No entities substituted, no DTD loaded, nothing from the network. */
	/*
	 * The input is a static buffer over the caller's bytes: libxml2 2.9's
	 * memory buffers (xmlReadMemory and every path through
	 * xmlParserInputBufferCreateMem) leak when memory runs out.
	 */
	if (!(buf = xmlParserInputBufferCreateStatic((const char *)xml, (int)size,
	                                             XML_CHAR_ENCODING_NONE)))
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	if (!(ctxt = xmlNewParserCtxt())) {
		xmlFreeParserInputBuffer(buf);
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	}
	if (!(input = xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE))) {
		xmlFreeParserInputBuffer(buf);
		xmlFreeParserCtxt(ctxt);
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	}
	if (inputPush(ctxt, input) < 0) {
		xmlFreeInputStream(input);
		xmlFreeParserCtxt(ctxt);
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	}
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (xmlParseDocument(ctxt) == 0 && ctxt->wellFormed)
		doc = TAKE_PTR(ctxt->myDoc);
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	if (!doc)
		return BAD("not well-formed XML");
	r = CU_ERR_MALFORMED;
	if (doc->intSubset || doc->extSubset) {
		BAD("a document type declaration is not allowed");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!is_elem(root, "SoftwareIdentity", SWID_NS)) {
		BAD("the root element is not a SWID SoftwareIdentity");
		goto out;
	}
	/* One signature, the root's own: nothing else may claim to be signed. */
	sig = only_child(root, "Signature", (const char *)xmlSecDSigNs, &twice);
	if (!sig || count_signatures(root) != 1) {
		BAD("expected exactly one Signature, a child of SoftwareIdentity");
		goto out;
	}
	if ((r = read_certs(sig, &rim, err)) < 0 ||
	    (r = check_signature(sig, sk_X509_value(rim.certs, 0), err)) < 0 ||
	    (r = read_meta(root, &rim, err)) < 0 || (r = read_payload(root, &rim, err)) < 0)
		goto out;
	*ret = rim;
	memset(&rim, 0, sizeof(rim));
	r = 0;
out:
	cu_rim_done(&rim);
	xmlFreeDoc(doc);
	return r;
}
