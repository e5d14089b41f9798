/* SPDX-License-Identifier: Apache-2.0 */
/* See gpu-builder.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
/* clang-format off: xmlsec.h defines the types the other headers use */
#include <xmlsec/xmlsec.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
/* clang-format on */

#include "../../src/base/encoding.h"
#include "../../src/evidence/nvgpu.h"
#include "gpu-builder.h"

#define OK(x)                                                                                      \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "gpu-builder: %s:%d: %s failed\n", __FILE__, __LINE__,     \
			        #x);                                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static X509 *cert_new(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
                      const uint8_t *fwid)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	uint8_t serial[16];
	BIGNUM *bn;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	OK(x && name && RAND_bytes(serial, sizeof(serial)) == 1);
	serial[0] &= 0x7f;
	OK((bn = BN_bin2bn(serial, sizeof(serial), NULL)));
	OK(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	OK(X509_set_version(x, X509_VERSION_3) == 1);
	OK(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Custos Test",
	                              -1, -1, 0) == 1);
	OK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
	                              0) == 1);
	if (fwid)
		OK(X509_NAME_add_entry_by_txt(name, "serialNumber", MBSTRING_ASC,
		                              (const unsigned char *)"C0FFEE0123456789ABCDEF", -1,
		                              -1, 0) == 1);
	OK(X509_set_subject_name(x, name) == 1);
	OK(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1);
	X509_NAME_free(name);
	OK(ASN1_TIME_set(X509_getm_notBefore(x), 1577836800)); /* 2020-01-01 */
	OK(ASN1_TIME_set(X509_getm_notAfter(x), 4102444800));  /* 2100-01-01 */
	OK(X509_set_pubkey(x, pub) == 1);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	OK((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	                              ca ? "critical,CA:TRUE" : "critical,CA:FALSE")));
	OK(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	if (fwid) {
		/* NVIDIA's DICE extension: SEQUENCE { INTEGER 1, SPKI, SEQUENCE { sha384, FWID } } */
		uint8_t *spki = NULL, der[512];
		int n = i2d_PUBKEY(pub, &spki);
		static const uint8_t oid[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
			                       0x65, 0x03, 0x04, 0x02, 0x02 };
		size_t inner = 3 + (size_t)n + 2 + sizeof(oid) + 2 + 48, k = 0;
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		ASN1_OBJECT *obj = OBJ_txt2obj("2.23.133.5.4.1", 1);

		OK(n > 0 && n < 200 && os && obj);
		der[k++] = 0x30;
		der[k++] = 0x81;
		der[k++] = (uint8_t)inner;
		der[k++] = 0x02;
		der[k++] = 0x01;
		der[k++] = 0x01;
		memcpy(der + k, spki, (size_t)n);
		k += (size_t)n;
		der[k++] = 0x30;
		der[k++] = (uint8_t)(sizeof(oid) + 2 + 48);
		memcpy(der + k, oid, sizeof(oid));
		k += sizeof(oid);
		der[k++] = 0x04;
		der[k++] = 48;
		memcpy(der + k, fwid, 48);
		k += 48;
		OK(ASN1_OCTET_STRING_set(os, der, (int)k));
		OK((ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)));
		OK(X509_add_ext(x, ext, -1));
		X509_EXTENSION_free(ext);
		ASN1_OBJECT_free(obj);
		ASN1_OCTET_STRING_free(os);
		OPENSSL_free(spki);
	}
	OK(X509_sign(x, issuer_key, EVP_sha384()) > 0);
	return x;
}

void gb_pki_new(struct gb_pki *p, const uint8_t fwid[48])
{
	memset(p, 0, sizeof(*p));
	memcpy(p->fwid, fwid, 48);
	OK((p->root_key = EVP_EC_gen("P-384")) && (p->leaf_key = EVP_EC_gen("P-384")) &&
	   (p->rim_key = EVP_EC_gen("P-384")));
	p->root = cert_new("Custos TEST GPU root", p->root_key, NULL, p->root_key, true, NULL);
	p->leaf = cert_new("Custos TEST GH100 attestation", p->leaf_key, p->root, p->root_key,
	                   false, fwid);
	p->rim_signer =
	    cert_new("Custos TEST RIM signer", p->rim_key, p->root, p->root_key, false, NULL);
}

void gb_pki_free(struct gb_pki *p)
{
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->leaf_key);
	EVP_PKEY_free(p->rim_key);
	X509_free(p->root);
	X509_free(p->leaf);
	X509_free(p->rim_signer);
	memset(p, 0, sizeof(*p));
}

char *gb_cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	OK(b && PEM_write_bio_X509(b, x) == 1);
	n = BIO_get_mem_data(b, &data);
	OK((out = strndup(data, (size_t)n)));
	BIO_free(b);
	return out;
}

char *gb_chain_pem(const struct gb_pki *p)
{
	char *a = gb_cert_pem(p->leaf), *b = gb_cert_pem(p->root), *out;

	OK(asprintf(&out, "%s%s", a, b) > 0);
	free(a);
	free(b);
	return out;
}

void gb_report_defaults(struct gb_report_opts *o)
{
	static const uint8_t vbios[8] = { 0x00, 0x9f, 0x00, 0x96, 0x01, 0, 0, 0 };

	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < GB_MEASUREMENTS; i++)
		memset(o->measurements[i], (int)(i + 1), 48);
	memcpy(o->vbios, vbios, 8);
}

void gb_vbios_string(const uint8_t v[8], char out[32])
{
	snprintf(out, 32, "%02x.%02x.%02x.%02x.%02x", v[3], v[2], v[1], v[0], v[4]);
}

static void put16(uint8_t *b, size_t *k, unsigned v)
{
	b[(*k)++] = (uint8_t)v;
	b[(*k)++] = (uint8_t)(v >> 8);
}

static void tlv(uint8_t *b, size_t *k, unsigned type, const void *v, size_t n)
{
	put16(b, k, type);
	put16(b, k, (unsigned)n);
	memcpy(b + *k, v, n);
	*k += n;
}

uint8_t *gb_report(const struct gb_pki *p, const struct gb_report_opts *o, size_t *ret_size,
                   size_t *ret_sig_offset)
{
	const char *driver = o->driver_version ? o->driver_version : "550.90.07";
	size_t cap = 37 + 8 + GB_MEASUREMENTS * 55 + 32 + 2 + 512 + 96 + o->trailing_zeros, k = 0,
	       rec_start, rec_len, opaque_start;
	uint8_t *b = calloc(1, cap), der[160], proj[4] = { '1', '0', '1', '0' };
	unsigned char *sig_der = der;
	size_t sig_len = sizeof(der);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;

	OK(b && m);
	/* GET_MEASUREMENTS: version, code, attributes (signature), all blocks, nonce, slot 0 */
	b[k++] = 0x11;
	b[k++] = 0xe0;
	b[k++] = 0x01;
	b[k++] = 0xff;
	memcpy(b + k, o->nonce, 32);
	k += 32;
	b[k++] = 0x00;
	/* MEASUREMENTS */
	b[k++] = 0x11;
	b[k++] = 0x60;
	b[k++] = 0x00;
	b[k++] = 0x00;
	b[k++] = GB_MEASUREMENTS;
	rec_start = k;
	k += 3;
	for (unsigned i = 0; i < GB_MEASUREMENTS; i++) {
		b[k++] = (uint8_t)(i + 1);
		b[k++] = 0x01;        /* DMTF */
		put16(b, &k, 3 + 48); /* MeasurementSize */
		b[k++] = 0x01;        /* immutable ROM, digest */
		put16(b, &k, 48);
		memcpy(b + k, o->measurements[i], 48);
		k += 48;
	}
	rec_len = k - rec_start - 3;
	b[rec_start] = (uint8_t)rec_len;
	b[rec_start + 1] = (uint8_t)(rec_len >> 8);
	b[rec_start + 2] = (uint8_t)(rec_len >> 16);
	OK(RAND_bytes(b + k, 32) == 1);
	k += 32;
	opaque_start = k;
	k += 2;
	tlv(b, &k, 3, driver, strlen(driver) + 1);
	tlv(b, &k, 6, o->vbios, 8);
	tlv(b, &k, 17, proj, 4);
	if (!o->no_fwid)
		tlv(b, &k, 20, p->fwid, 48);
	b[opaque_start] = (uint8_t)(k - opaque_start - 2);
	b[opaque_start + 1] = (uint8_t)((k - opaque_start - 2) >> 8);
	/* ECDSA P-384 over SHA-384 of everything so far; r || s big-endian */
	OK(EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, p->leaf_key) == 1);
	OK(EVP_DigestSign(m, der, &sig_len, b, k) == 1);
	OK((sig = d2i_ECDSA_SIG(NULL, (const unsigned char **)&sig_der, (long)sig_len)));
	ECDSA_SIG_get0(sig, &r, &s);
	OK(BN_bn2binpad(r, b + k, 48) == 48 && BN_bn2binpad(s, b + k + 48, 48) == 48);
	*ret_sig_offset = k;
	k += 96 + o->trailing_zeros;
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(m);
	*ret_size = k;
	return b;
}

/* The certificate's DER, standard base64. */
static char *cert_b64(X509 *x)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	char *out;

	OK(n > 0 && (out = cu_base64_encode_alloc(der, (size_t)n)));
	OPENSSL_free(der);
	return out;
}

char *gb_rim(const struct gb_pki *p, const char *version, unsigned first, unsigned n,
             const uint8_t (*values)[48], const bool *inactive)
{
	char *xml = NULL, *res = strdup(""), *tmp, hex[97], *leaf_b64, *root_b64;
	xmlDocPtr doc;
	xmlNodePtr sig, ki;
	xmlSecDSigCtxPtr ctx;
	xmlSecKeyDataPtr data;
	xmlChar *out;
	int size;

	OK(res && cu_xmlsec_ready());
	for (unsigned i = 0; i < n; i++) {
		cu_hex_encode(values[i], 48, hex);
		OK(asprintf(&tmp,
		            "%s    <ns0:Resource type=\"Measurement\" index=\"%u\" active=\"%s\" "
		            "alternatives=\"1\" ns2:Hash0=\"%s\" name=\"Measurement_%u\" "
		            "size=\"48\"/>\n",
		            res, first + i, inactive && inactive[i] ? "False" : "True", hex,
		            first + i) > 0);
		free(res);
		res = tmp;
	}
	OK(asprintf(
	       &xml,
	       "<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\" "
	       "xmlns:ns0=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\" "
	       "xmlns:ns2=\"http://www.w3.org/2001/04/xmlenc#sha384\" corpus=\"false\" "
	       "name=\"GH100\" patch=\"false\" supplemental=\"false\" tagId=\"custos-test-%s\" "
	       "version=\"1.0\" tagVersion=\"0\">\n"
	       "  <ns0:Entity name=\"Custos Test\" role=\"softwareCreator tagCreator\"/>\n"
	       "  <ns0:Meta colloquialVersion=\"%s\" edition=\"GPU\" product=\"GH100\" "
	       "revision=\"r1\"/>\n"
	       "  <ns0:Payload>\n%s  </ns0:Payload>\n"
	       "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
	       "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"/>"
	       "<ds:SignatureMethod "
	       "Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384\"/>"
	       "<ds:Reference URI=\"\"><ds:Transforms>"
	       "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
	       "<ds:Transform Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\"/></ds:Transforms>"
	       "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#sha384\"/>"
	       "<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>"
	       "<ds:SignatureValue></ds:SignatureValue></ds:Signature></SoftwareIdentity>\n",
	       version, version, res) > 0);
	free(res);
	OK((doc = xmlReadMemory(xml, (int)strlen(xml), "rim.xml", NULL, XML_PARSE_NONET)));
	free(xml);
	OK((sig = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs)));
	OK((ctx = xmlSecDSigCtxCreate(NULL)) && (ctx->signKey = xmlSecKeyCreate()));
	OK(EVP_PKEY_up_ref(p->rim_key));
	OK((data = xmlSecOpenSSLEvpKeyAdopt(p->rim_key)));
	OK(xmlSecKeySetValue(ctx->signKey, data) == 0);
	OK(xmlSecDSigCtxSign(ctx, sig) == 0);
	xmlSecDSigCtxDestroy(ctx);
	/* KeyInfo after signing (outside what the enveloped signature covers), as NVIDIA's. */
	leaf_b64 = cert_b64(p->rim_signer);
	root_b64 = cert_b64(p->root);
	OK((ki = xmlNewChild(sig, sig->ns, BAD_CAST "KeyInfo", NULL)));
	OK((ki = xmlNewChild(ki, sig->ns, BAD_CAST "X509Data", NULL)));
	OK(xmlNewChild(ki, sig->ns, BAD_CAST "X509Certificate", BAD_CAST leaf_b64));
	OK(xmlNewChild(ki, sig->ns, BAD_CAST "X509Certificate", BAD_CAST root_b64));
	free(leaf_b64);
	free(root_b64);
	xmlDocDumpMemory(doc, &out, &size);
	OK(out && (xml = strndup((const char *)out, (size_t)size)));
	xmlFree(out);
	xmlFreeDoc(doc);
	return xml;
}

const uint8_t gb_sim_fwid[48] = { 0xf1, 0xae, 0x7d, 0x00, 0x93, 0xa3, 0xf5, 0x68 };

static char *read_text(const char *dir, const char *name)
{
	char path[4096], *buf = calloc(1, 65536);
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || !buf) {
		fprintf(stderr, "gpu-builder: %s: cannot read (custos-gpu-sim init first)\n", path);
		abort();
	}
	n = fread(buf, 1, 65535, f);
	fclose(f);
	OK(n > 0);
	return buf;
}

void gb_sim_load(const char *dir, struct gb_pki *p, char **ret_chain)
{
	char *key = read_text(dir, "leaf-key.pem");
	BIO *b = BIO_new_mem_buf(key, -1);

	memset(p, 0, sizeof(*p));
	memcpy(p->fwid, gb_sim_fwid, 48);
	OK(b && (p->leaf_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)));
	BIO_free(b);
	free(key);
	*ret_chain = read_text(dir, "chain.pem");
}

char *gb_device_json(const uint8_t *report, size_t size, const char *chain_pem, const char *uuid)
{
	char *hex = cu_hex_encode_alloc(report, size);
	char *b64 = cu_base64_encode_alloc((const uint8_t *)chain_pem, strlen(chain_pem)), *out;

	OK(hex && b64);
	OK(asprintf(
	       &out,
	       "{\"arch\":\"HOPPER\",\"uuid\":\"%s\",\"evidence\":\"%s\",\"certificate\":\"%s\"}",
	       uuid, hex, b64) > 0);
	free(hex);
	free(b64);
	return out;
}
