/* SPDX-License-Identifier: BSD-3-Clause
 * test_se_policy.c - who may publish a host (host-policy any / namespace,
 * trusted namespaces) and exportTo (ignore / require-all). */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "dns/dname.h"
#include "k8s/se_policy.h"

static const char *const trusted[] = { "istio-system", "admiral-sync" };

static enum se_policy_verdict check(const struct se_policy *p, const char *ns, const char *host,
				    const char *apex, char *why, size_t why_len)
{
	uint8_t h[DNAME_MAX_LEN], a[DNAME_MAX_LEN];
	int hl = dname_from_text(h, host), al = dname_from_text(a, apex);
	ck_assert_int_gt(hl, 0);
	ck_assert_int_gt(al, 0);
	return se_policy_check_host(p, ns, h, (size_t)hl, a, (size_t)al, why, why_len);
}

START_TEST(test_defaults_are_the_safe_ones)
{
	struct se_policy zero = { 0 };
	ck_assert_int_eq(zero.host, SE_HOST_POLICY_NAMESPACE);
	ck_assert_int_eq(zero.export_to, SE_EXPORT_REQUIRE_ALL);
	ck_assert_str_eq(se_host_policy_name(zero.host), "namespace");
	ck_assert_str_eq(se_export_policy_name(zero.export_to), "require-all");
	ck_assert_str_eq(se_host_policy_name(SE_HOST_POLICY_ANY), "any");
	ck_assert_str_eq(se_export_policy_name(SE_EXPORT_IGNORE), "ignore");
}
END_TEST

START_TEST(test_host_policy_any)
{
	struct se_policy p = { .host = SE_HOST_POLICY_ANY };
	char why[256];
	ck_assert_int_eq(check(&p, "sandbox", "payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_ACCEPT);
	ck_assert_int_eq(check(&p, "sandbox", "global", "global", why, sizeof(why)), SE_POLICY_ACCEPT);
	ck_assert_int_eq(check(&p, "sandbox", "*.global", "global", why, sizeof(why)), SE_POLICY_ACCEPT);
}
END_TEST

START_TEST(test_host_policy_namespace)
{
	struct se_policy p = { .host = SE_HOST_POLICY_NAMESPACE,
			       .trusted_namespaces = trusted,
			       .trusted_count = 2 };
	char why[256];
	/* the attack of the issue: sandbox publishing production's name */
	ck_assert_int_eq(check(&p, "sandbox", "payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NAMESPACE);
	ck_assert_str_eq(why, "host payments.prod.global. belongs to namespace prod, not sandbox");
	ck_assert_int_eq(check(&p, "prod", "payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_ACCEPT);
	ck_assert_str_eq(why, "");
	/* deeper names: the label just below the apex decides */
	ck_assert_int_eq(check(&p, "prod", "v1.payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_ACCEPT);
	ck_assert_int_eq(check(&p, "sandbox", "v1.payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NAMESPACE);
	/* a multi-label apex */
	ck_assert_int_eq(check(&p, "prod", "payments.prod.mesh.example", "mesh.example", why, sizeof(why)),
			 SE_POLICY_ACCEPT);
	ck_assert_int_eq(check(&p, "mesh", "payments.prod.mesh.example", "mesh.example", why, sizeof(why)),
			 SE_POLICY_REFUSE_NAMESPACE);
	/* wildcards: "*.prod.global" is prod's, "*.global" and the apex nobody's */
	ck_assert_int_eq(check(&p, "prod", "*.prod.global", "global", why, sizeof(why)), SE_POLICY_ACCEPT);
	ck_assert_int_eq(check(&p, "sandbox", "*.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NAMESPACE);
	ck_assert_int_eq(check(&p, "prod", "*.global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NO_NAMESPACE);
	ck_assert_int_eq(check(&p, "global", "global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NO_NAMESPACE);
	ck_assert(strstr(why, "no namespace label") != NULL);
	/* a name one label below the apex is the namespace label itself */
	ck_assert_int_eq(check(&p, "prod", "prod.global", "global", why, sizeof(why)), SE_POLICY_ACCEPT);
	/* a prefix of the namespace is not the namespace */
	ck_assert_int_eq(check(&p, "pro", "payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NAMESPACE);
	ck_assert_int_eq(check(&p, "prodx", "payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NAMESPACE);
	/* trusted namespaces publish anything */
	ck_assert_int_eq(check(&p, "admiral-sync", "payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_ACCEPT_TRUSTED);
	ck_assert_int_eq(check(&p, "istio-system", "*.global", "global", why, sizeof(why)),
			 SE_POLICY_ACCEPT_TRUSTED);
	ck_assert(se_policy_is_trusted(&p, "istio-system"));
	ck_assert(!se_policy_is_trusted(&p, "istio"));
	ck_assert(se_policy_verdict_is_accept(SE_POLICY_ACCEPT_TRUSTED));
	ck_assert(!se_policy_verdict_is_accept(SE_POLICY_REFUSE_NAMESPACE));
	/* with no trusted namespace, nobody is */
	struct se_policy none = { .host = SE_HOST_POLICY_NAMESPACE };
	ck_assert_int_eq(check(&none, "istio-system", "payments.prod.global", "global", why, sizeof(why)),
			 SE_POLICY_REFUSE_NAMESPACE);
}
END_TEST

START_TEST(test_export_to)
{
	static const char *const dot[] = { "." }, *const all[] = { ".", "*" },
				 *const ns[] = { "prod", "dev" }, *const nobody[] = { "~" };
	struct se_policy req = { .export_to = SE_EXPORT_REQUIRE_ALL };
	struct se_policy ign = { .export_to = SE_EXPORT_IGNORE };
	ck_assert(se_policy_check_export(&req, false, NULL, 0)); /* absent: exported everywhere */
	ck_assert(se_policy_check_export(&req, true, NULL, 0));  /* [] is the default too */
	ck_assert(se_policy_check_export(&req, true, all, 2));
	ck_assert(!se_policy_check_export(&req, true, dot, 1));
	ck_assert(!se_policy_check_export(&req, true, ns, 2));
	ck_assert(!se_policy_check_export(&req, true, nobody, 1));
	ck_assert(se_policy_check_export(&ign, true, dot, 1));
	ck_assert(se_policy_check_export(&ign, true, nobody, 1));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("se_policy");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_defaults_are_the_safe_ones);
	tcase_add_test(tc, test_host_policy_any);
	tcase_add_test(tc, test_host_policy_namespace);
	tcase_add_test(tc, test_export_to);
	suite_add_tcase(s, tc);
	return s;
}
