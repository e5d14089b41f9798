/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "../base/bytes.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "../crypto/openssl-util.h"
#include "../crypto/x509.h"
#include "snp_certtable.h"

#define ENTRY_SIZE 24u

/* GHCB 56421 Table 8, in the RFC 4122 byte order the table carries. */
static const uint8_t known_guids[][16] = {
	/* ARK  c0b406a4-a803-4952-9743-3fb6014cd0ae */
	{ 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0,
	  0xae },
	/* ASK  4ab7b379-bbac-4fe4-a02f-05aef327c782 */
	{ 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7,
	  0x82 },
	/* VCEK 63da758d-e664-4564-adc5-f4b93be8accd */
	{ 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac,
	  0xcd },
	/* VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
	{ 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8,
	  0xa1 },
};

static bool known_guid(const uint8_t *g)
{
	for (size_t i = 0; i < ELEMENTSOF(known_guids); i++)
		if (memcmp(g, known_guids[i], 16) == 0)
			return true;
	return false;
}

bool cu_snp_certtable_detect(const uint8_t *buf, size_t size)
{
	return buf && size >= 2 * ENTRY_SIZE && known_guid(buf);
}

int cu_snp_certtable_parse(const uint8_t *buf, size_t size, STACK_OF(X509) * *certs,
                           struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *found = sk_X509_new_null();
	struct cu_bytes b;
	size_t n_entries = 0, header_size;
	int n;

	if (!found)
		return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
	if (size > CU_LIMIT_COLLATERAL_FILE_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, "collateral",
		               "snp: certificate table too large");

	/* Count entries up to the all-zero terminator. */
	cu_bytes_init(&b, buf, size);
	for (;;) {
		struct cu_bytes e;

		if (!cu_bytes_get_bytes(&b, ENTRY_SIZE, &e))
			return cu_fail(err, CU_ERR_MALFORMED, "collateral",
			               "snp: certificate table has no terminating entry");
		if (cu_bytes_all_zero(&e))
			break;
		if (++n_entries > CU_LIMIT_CERTS_PER_FILE)
			return cu_fail(err, CU_ERR_TOO_LARGE, "collateral",
			               "snp: certificate table has more than %u entries",
			               CU_LIMIT_CERTS_PER_FILE);
	}
	header_size = (n_entries + 1) * ENTRY_SIZE;

	cu_bytes_init(&b, buf, size);
	for (size_t i = 0; i < n_entries; i++) {
		uint8_t guid[16];
		uint32_t off, len;
		const unsigned char *p;
		X509 *x;

		if (!cu_bytes_copy(&b, guid, sizeof(guid)) || !cu_bytes_get_u32le(&b, &off) ||
		    !cu_bytes_get_u32le(&b, &len))
			return cu_fail(err, CU_ERR_MALFORMED, "collateral",
			               "snp: certificate table entry %zu truncated", i);
		if (off < header_size || off > size || len > size - off || len == 0)
			return cu_fail(err, CU_ERR_MALFORMED, "collateral",
			               "snp: certificate table entry %zu points outside the table "
			               "(offset %u, length %u)",
			               i, off, len);
		if (!known_guid(guid))
			continue; /* an entry type we do not use (e.g. a CRL or a vendor extension) */
		p = buf + off;
		x = d2i_X509(NULL, &p, (long)len);
		if (!x)
			return cu_fail(err, CU_ERR_MALFORMED, "collateral",
			               "snp: certificate table entry %zu is not a DER certificate",
			               i);
		if (!sk_X509_push(found, x)) {
			X509_free(x);
			return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
		}
	}
	n = cu_x509_move_all(certs, found, NULL, NULL);
	if (n < 0)
		return cu_fail(err, n, "collateral", "out of memory");
	return n;
}
