/* SPDX-License-Identifier: Apache-2.0 */
/* custosd: the attestation service and key broker. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <custos/custos.h>

#include "../src/base/error.h"
#include "../src/server/admin.h"
#include "../src/server/kek_pkcs11.h"
#include "../src/server/service.h"

static const char *prog = "custosd";

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s init DIR\n"
	    "       %s --data DIR [OPTIONS]\n"
	    "\n"
	    "The Custos attestation service: verifies evidence from confidential VMs and\n"
	    "enclaves, appraises it, and issues signed attestation results (EAR), over HTTPS.\n"
	    "It speaks the Trustee KBS protocol 0.4.0 (/kbs/v0/...) and its own API (/v1/...).\n"
	    "\n"
	    "  init DIR                 create a data directory: TLS certificate, token signing\n"
	    "                           key, key-encryption key, admin credential (all 0600),\n"
	    "                           configuration, default policy, database\n"
	    "  --data DIR               serve the data directory DIR (reads DIR/custosd.conf)\n"
	    "  kek-create --pkcs11-module SO --token LABEL --pin-file FILE [--label L]\n"
	    "                           generate the key-encryption key inside an HSM\n"
	    "\n"
	    "Options (each overrides the configuration file):\n"
	    "  --config FILE            configuration file (default DIR/custosd.conf)\n"
	    "  --listen ADDR:PORT       listen address (default 127.0.0.1:8443; port 0 picks a\n"
	    "                           free one, printed at start)\n"
	    "  --log FILE               request log, one JSON line per request (default stderr)\n"
	    "  --insecure-test-root FILE\n"
	    "                           INSECURE, for tests and demos only: trust the\n"
	    "                           certificates in FILE (PEM, one or more) as extra roots\n"
	    "                           for evidence (e.g. simulated SEV-SNP and TDX\n"
	    "                           platforms); logged, and marked in every result\n"
	    "  --list-routes            print every route (admin routes with the roles they "
	    "allow)\n"
	    "  --help, --version\n"
	    "\n"
	    "Endpoints: /healthz, /readyz, /metrics, /.well-known/jwks.json,\n"
	    "/.well-known/openid-configuration, GET /v1/challenge, POST /v1/attest,\n"
	    "POST /kbs/v0/auth, POST /kbs/v0/attest. See docs/custosd.md and docs/api.md.\n"
	    "\n"
	    "Example:\n"
	    "  %s init /var/lib/custos && %s --data /var/lib/custos\n",
	    prog, prog, prog, prog);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog, msg, prog);
	return 2;
}

enum {
	OPT_DATA = 256,
	OPT_CONFIG,
	OPT_LISTEN,
	OPT_LOG,
	OPT_TEST_ROOT,
	OPT_HELP,
	OPT_VERSION,
	OPT_LIST_ROUTES,
};

static const struct option options[] = {
	{ "data", required_argument, NULL, OPT_DATA },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "insecure-test-root", required_argument, NULL, OPT_TEST_ROOT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "list-routes", no_argument, NULL, OPT_LIST_ROUTES },
	{ NULL, 0, NULL, 0 },
};

static char *absolute(const char *path)
{
	char cwd[4096], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static int serve(int argc, char **argv)
{
	struct cu_service svc = { 0 };
	struct cu_error err = { 0 };
	const char *data = NULL, *config = NULL, *listen = NULL, *log = NULL, *root = NULL;
	char *conf_path = NULL, *abs_root = NULL, *abs_log = NULL;
	sigset_t set;
	int c, sig, r = 1;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_DATA:
			data = optarg;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_LISTEN:
			listen = optarg;
			break;
		case OPT_LOG:
			log = optarg;
			break;
		case OPT_TEST_ROOT:
			root = optarg;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("custosd %s\n", CUSTOS_VERSION);
			return 0;
		case OPT_LIST_ROUTES:
			for (size_t i = 0; i < cu_n_routes; i++)
				printf("%s %s%s\n", cu_routes[i].method ? cu_routes[i].method : "*",
				       cu_routes[i].path, cu_routes[i].prefix ? "..." : "");
			cu_admin_list_routes(stdout);
			return 0;
		default:
			return usage_error("invalid option");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument (did you mean 'custosd init DIR'?)");
	if (!data)
		return usage_error("--data DIR is required (create one with 'custosd init DIR')");

	/* Paths on the command line are relative to the working directory. */
	if (root && !(root = abs_root = absolute(root)))
		return usage_error("out of memory");
	if (log && !(log = abs_log = absolute(log)))
		return usage_error("out of memory");
	umask(077);
	cu_config_defaults(&svc.config);
	svc.config.data_dir = strdup(data);
	if (!config && asprintf(&conf_path, "%s/custosd.conf", data) < 0)
		conf_path = NULL;
	if (cu_config_load(&svc.config, config ? config : conf_path, &err) < 0 ||
	    (listen && cu_config_set(&svc.config, "listen", listen, &err) < 0) ||
	    (log && cu_config_set(&svc.config, "log", log, &err) < 0) ||
	    (root && cu_config_set(&svc.config, "insecure_test_root", root, &err) < 0)) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		r = 2;
		goto out;
	}
	if (cu_service_load(&svc, &err) < 0) {
		fprintf(stderr, "%s: cannot start: %s\n", prog, err.message);
		goto out;
	}
	if (svc.insecure)
		fprintf(stderr,
		        "%s: WARNING: INSECURE test root %s is trusted: evidence from a simulated "
		        "platform will verify. Never do this in production.\n",
		        prog, svc.config.insecure_test_root);

	/* Handle SIGINT/SIGTERM here, in the main thread, after the workers block them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* a file size limit makes a write fail (EFBIG: the request is refused), not the daemon */
	signal(SIGXFSZ, SIG_IGN);
	if (cu_service_start(&svc, &err) < 0) {
		fprintf(stderr, "%s: cannot start: %s\n", prog, err.message);
		goto out;
	}
	printf("%s: listening on https://%s%s%s:%u\n", prog,
	       strchr(svc.config.listen_address, ':') ? "[" : "", svc.config.listen_address,
	       strchr(svc.config.listen_address, ':') ? "]" : "", cu_http_port(svc.http));
	fflush(stdout);
	sigwait(&set, &sig);
	fprintf(stderr, "%s: stopping on signal %d\n", prog, sig);
	r = 0;
out:
	cu_service_stop(&svc);
	free(conf_path);
	free(abs_root);
	free(abs_log);
	return r;
}

/* custosd kek-create: the AES-256 key-encryption key, generated inside a PKCS#11 token. */
static int kek_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pkcs11-module", required_argument, NULL, 'm' },
		{ "token", required_argument, NULL, 't' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct cu_p11_opts o = { .label = "custos-kek" };
	struct cu_error err = { 0 };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.module = optarg;
			break;
		case 't':
			o.token = optarg;
			break;
		case 'p':
			o.pin_file = optarg;
			break;
		case 'l':
			o.label = optarg;
			break;
		default:
			return usage_error("kek-create: invalid option");
		}
	}
	if (!o.module || !o.token || !o.pin_file || optind != argc)
		return usage_error("usage: custosd kek-create --pkcs11-module SO --token LABEL "
		                   "--pin-file FILE [--label custos-kek]");
	if (cu_p11_create_key(&o, &err) < 0) {
		fprintf(stderr, "%s: kek-create: %s\n", prog, err.message);
		return 1;
	}
	printf("created the AES-256 key \"%s\" in token \"%s\" (sensitive, not extractable)\n"
	       "set kek_pkcs11_module, kek_pkcs11_token, kek_pkcs11_pin_file and kek_pkcs11_label "
	       "in custosd.conf\n",
	       o.label, o.token);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "kek-create"))
		return kek_create(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "init")) {
		struct cu_error err = { 0 };

		if (argc != 3)
			return usage_error("usage: custosd init DIR");
		umask(077);
		if (cu_service_init_dir(argv[2], stdout, &err) < 0) {
			fprintf(stderr, "%s: init: %s\n", prog, err.message);
			return 1;
		}
		return 0;
	}
	return serve(argc, argv);
}
