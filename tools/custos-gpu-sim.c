/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-gpu-sim: a simulated NVIDIA H100 in confidential-computing mode,
 * for tests and demos. Its TEST root is trusted by custos only through an
 * INSECURE option.
 *
 *   custos-gpu-sim init DIR
 *       a TEST PKI (root.pem, chain.pem, leaf-key.pem) and, in
 *       DIR/collateral, signed driver and VBIOS RIMs for its measurements
 *   custos-gpu-sim evidence DIR --nonce HEX [--measurement N=HEX] [--uuid ID]
 *       Trustee's device evidence {"arch", "uuid", "evidence", "certificate"}
 *       with the 32-byte SPDM nonce HEX (a longer HEX is truncated, as the
 *       KBS binding is); --measurement replaces block N (1..16) with 48 bytes
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

#include "../src/base/encoding.h"
#include "../tests/unit/gpu-builder.h"

static int usage(void)
{
	fprintf(stderr, "usage: custos-gpu-sim init DIR\n"
	                "       custos-gpu-sim evidence DIR --nonce HEX [--measurement N=HEX] "
	                "[--uuid ID]\n");
	return 2;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "custos-gpu-sim: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static int cmd_init(const char *dir)
{
	struct gb_pki p;
	struct gb_report_opts o;
	char sub[4096], vb[32], *s;
	BIO *b;
	long n;

	snprintf(sub, sizeof(sub), "%s/collateral", dir);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(sub, 0700) < 0 && errno != EEXIST)) {
		fprintf(stderr, "custos-gpu-sim: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	gb_pki_new(&p, gb_sim_fwid);
	gb_report_defaults(&o);
	write_file(dir, "root.pem", s = gb_cert_pem(p.root));
	free(s);
	write_file(dir, "chain.pem", s = gb_chain_pem(&p));
	free(s);
	b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio_PrivateKey(b, p.leaf_key, NULL, NULL, 0, NULL, NULL) != 1)
		return 1;
	n = BIO_get_mem_data(b, &s);
	s = strndup(s, (size_t)n);
	BIO_free(b);
	write_file(dir, "leaf-key.pem", s);
	free(s);
	chmod(dir, 0700);
	/* driver RIM: blocks 1..8; VBIOS RIM: blocks 9..16 */
	write_file(sub, "driver-rim.swidtag",
	           s = gb_rim(&p, "550.90.07", 0, 8, (const uint8_t(*)[48])o.measurements, NULL));
	free(s);
	gb_vbios_string(o.vbios, vb);
	write_file(sub, "vbios-rim.swidtag",
	           s = gb_rim(&p, vb, 8, 8, (const uint8_t(*)[48])o.measurements + 8, NULL));
	free(s);
	gb_pki_free(&p);
	return 0;
}

static int cmd_evidence(int argc, char **argv)
{
	const char *dir = argv[0], *nonce = NULL, *uuid = "GPU-SIM-0";
	struct gb_pki p;
	struct gb_report_opts o;
	uint8_t *rep;
	size_t size, sig;
	char *chain, *json;

	gb_report_defaults(&o);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--nonce") && i + 1 < argc) {
			nonce = argv[++i];
		} else if (!strcmp(argv[i], "--uuid") && i + 1 < argc) {
			uuid = argv[++i];
		} else if (!strcmp(argv[i], "--measurement") && i + 1 < argc) {
			char *eq = strchr(argv[++i], '=');
			int n = atoi(argv[i]);

			if (!eq || n < 1 || n > (int)GB_MEASUREMENTS ||
			    cu_hex_decode(eq + 1, strlen(eq + 1), o.measurements[n - 1], 48) < 0)
				return usage();
		} else {
			return usage();
		}
	}
	if (!nonce || strlen(nonce) < 64 || cu_hex_decode(nonce, 64, o.nonce, 32) < 0)
		return usage();
	gb_sim_load(dir, &p, &chain);
	rep = gb_report(&p, &o, &size, &sig);
	json = gb_device_json(rep, size, chain, uuid);
	puts(json);
	free(json);
	free(rep);
	free(chain);
	EVP_PKEY_free(p.leaf_key);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "init"))
		return cmd_init(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "evidence"))
		return cmd_evidence(argc - 2, argv + 2);
	return usage();
}
