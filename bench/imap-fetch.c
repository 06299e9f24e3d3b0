/*
 * imap-fetch: the benchmark's "physical limit" -- every message of a
 * mailbox fetched raw over IMAP, with no parsing of the mail at all.
 *
 * The same transport as cabutd (src/imap.c): libetpan, STARTTLS, LOGIN,
 * SELECT, UID SEARCH, then UID FETCH (UID BODY.PEEK[]) in batches of
 * BATCH messages (cabutd: INTAKE_FETCH_COUNT = 50).  PEEK: nothing is
 * flagged, so cabutd still finds every message unseen afterwards.  The
 * data is only counted (bytes, and a cheap checksum so the bytes are
 * read), never copied or kept.
 *
 * usage: imap-fetch HOST PORT USER PASSWORD MAILBOX [BATCH]
 * prints: messages=N bytes=B seconds=S msgs_per_s=X mb_per_s=Y
 * (seconds: from before the connection to after LOGOUT).
 */
#include <libetpan/libetpan.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "imap-fetch: %s failed (libetpan %d)\n", what, r);
	exit(1);
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct mailimap			*mi;
	struct mailimap_set		*set;
	struct mailimap_search_key	*key;
	struct mailimap_fetch_type	*ft;
	struct mailimap_msg_att		*ma;
	struct mailimap_msg_att_item	*item;
	struct mailimap_msg_att_static	*st;
	clist				*found = NULL, *fetched = NULL;
	clistiter			*it, *jt;
	uint32_t			*uids, *u;
	uint64_t			 bytes = 0, sum = 0;
	size_t				 n = 0, i, j, batch = 50, msgs = 0, k;
	double				 t0, t1;
	int				 r;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: imap-fetch HOST PORT USER PASSWORD "
		    "MAILBOX [BATCH]\n");
		return 64;
	}
	if (argc == 7)
		batch = (size_t)strtoul(argv[6], NULL, 10);
	t0 = now_s();
	if ((mi = mailimap_new(0, NULL)) == NULL)
		die("mailimap_new", 0);
	mailimap_set_timeout(mi, 60);
	if ((r = mailimap_socket_connect(mi, argv[1],
	    (uint16_t)atoi(argv[2]))) != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR)
		die("connect", r);
	if ((r = mailimap_socket_starttls(mi)) != MAILIMAP_NO_ERROR)
		die("STARTTLS", r);
	if ((r = mailimap_login(mi, argv[3], argv[4])) != MAILIMAP_NO_ERROR)
		die("LOGIN", r);
	if ((r = mailimap_select(mi, argv[5])) != MAILIMAP_NO_ERROR)
		die("SELECT", r);
	set = mailimap_set_new_interval(1, 0);
	key = mailimap_search_key_new_uid(set);
	if ((r = mailimap_uid_search(mi, NULL, key, &found)) != MAILIMAP_NO_ERROR)
		die("UID SEARCH", r);
	mailimap_search_key_free(key);
	uids = calloc((size_t)clist_count(found) + 1, sizeof(*uids));
	for (it = clist_begin(found); it != NULL; it = clist_next(it))
		if ((u = clist_content(it)) != NULL)
			uids[n++] = *u;
	mailimap_search_result_free(found);
	qsort(uids, n, sizeof(*uids), uid_cmp);

	for (i = 0; i < n; i += batch) {
		set = mailimap_set_new_empty();
		for (j = i; j < n && j < i + batch; j++)
			mailimap_set_add_single(set, uids[j]);
		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
		    mailimap_section_new(NULL)));
		if ((r = mailimap_uid_fetch(mi, set, ft, &fetched)) !=
		    MAILIMAP_NO_ERROR)
			die("UID FETCH", r);
		for (it = clist_begin(fetched); it != NULL; it = clist_next(it)) {
			ma = clist_content(it);
			for (jt = clist_begin(ma->att_list); jt != NULL;
			    jt = clist_next(jt)) {
				item = clist_content(jt);
				if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
					continue;
				st = item->att_data.att_static;
				if (st->att_type != MAILIMAP_MSG_ATT_BODY_SECTION ||
				    st->att_data.att_body_section == NULL)
					continue;
				msgs++;
				bytes += st->att_data.att_body_section->sec_length;
				/* one byte in 64: the data is there, cheaply */
				for (k = 0; k < st->att_data.att_body_section->sec_length;
				    k += 64)
					sum += (unsigned char)
					    st->att_data.att_body_section->sec_body_part[k];
			}
		}
		mailimap_fetch_list_free(fetched);
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
	}
	mailimap_logout(mi);
	mailimap_free(mi);
	free(uids);
	t1 = now_s();
	printf("messages=%zu bytes=%llu seconds=%.3f msgs_per_s=%.1f "
	    "mb_per_s=%.1f sum=%llu\n", msgs, (unsigned long long)bytes,
	    t1 - t0, (double)msgs / (t1 - t0),
	    (double)bytes / 1e6 / (t1 - t0), (unsigned long long)sum);
	return msgs == n ? 0 : 1;
}
