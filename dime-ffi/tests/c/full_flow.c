/*
 * The whole DIME flow through the C interface: keys for two organizations and two users,
 * signets issued and validated, a management record, a message composed by alice (also to two
 * recipients at once), opened and countersigned by her organization, checked by bob's
 * organization and read by bob.
 *
 * Built and run by dime-ffi/tests/c_program.rs; prints one line per step and exits 0 only if
 * every check held.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dime.h"

/* Fails the program when a call does not return the expected status. */
#define EXPECT(expected, call)                                                                   \
    do {                                                                                         \
        DimeStatus got_ = (call);                                                                \
        if (got_ != (expected)) {                                                                \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s: %s\n", __FILE__, __LINE__,      \
                    #call, dime_status_name(got_), dime_status_name(expected),                   \
                    dime_last_error_message());                                                  \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)

#define CHECK(call) EXPECT(DIME_OK, call)

/* Fails the program when a condition is false. */
#define ASSERT(cond)                                                                             \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond);         \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)

static DimeStr str(const char *text) {
    DimeStr s = {(const uint8_t *)text, strlen(text)};
    return s;
}

static int str_eq(DimeStr s, const char *text) {
    return s.ptr != NULL && s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static DimeSignet *org_signet(const DimeKeys *keys, const char *domain) {
    DimeSignet *signet = NULL;
    CHECK(dime_org_signet_new(keys, (const uint8_t *)domain, strlen(domain), &signet));
    DimeSignetState state = 0;
    bool anchored = true;
    CHECK(dime_signet_validate(signet, NULL, NULL, NULL, &state, &anchored, NULL));
    /* Its signatures hold, but without a record nothing says whose organization this is. */
    ASSERT(state == DIME_STATE_ID && !anchored);
    return signet;
}

static DimeSignet *user_signet(const DimeKeys *keys, const DimeSignet *org, const DimeKeys *org_keys,
                               const char *address) {
    DimeSignet *request = NULL, *signet = NULL;
    DimeSignetState state = 0;
    CHECK(dime_request_new(keys, NULL, &request));
    CHECK(dime_signet_validate(request, NULL, NULL, NULL, &state, NULL, NULL));
    ASSERT(state == DIME_STATE_SSR);
    CHECK(dime_user_signet_issue(request, NULL, org, org_keys, (const uint8_t *)address, strlen(address),
                                 &signet));
    dime_signet_free(request);
    CHECK(dime_signet_validate(signet, org, NULL, NULL, &state, NULL, NULL));
    ASSERT(state == DIME_STATE_ID);
    /* Without its organization's signet a user signet cannot be trusted. */
    DimeBuffer problem = {NULL, 0};
    CHECK(dime_signet_validate(signet, NULL, NULL, NULL, &state, NULL, &problem));
    ASSERT(state == DIME_STATE_INVALID && problem.len > 0);
    dime_buffer_free(&problem);
    return signet;
}

int main(void) {
    printf("dime %s\n", dime_version());

    /* Keys: two organizations and one user in each. */
    DimeKeys *origin_keys = NULL, *destination_keys = NULL, *alice_keys = NULL, *bob_keys = NULL;
    CHECK(dime_keys_generate(DIME_KEY_OWNER_ORG, &origin_keys));
    CHECK(dime_keys_generate(DIME_KEY_OWNER_ORG, &destination_keys));
    CHECK(dime_keys_generate(DIME_KEY_OWNER_USER, &alice_keys));
    CHECK(dime_keys_generate(DIME_KEY_OWNER_USER, &bob_keys));
    DimeKeys *none = NULL;
    EXPECT(DIME_ERR_INVALID_ARGUMENT, dime_keys_generate(7, &none));
    ASSERT(none == NULL);
    printf("error message: %s\n", dime_last_error_message());

    /* A key file survives armor. */
    DimeBuffer armor = {NULL, 0};
    DimeKeys *alice_again = NULL;
    CHECK(dime_keys_to_armor(alice_keys, &armor));
    ASSERT(armor.len > 0 && memcmp(armor.ptr, "-----BEGIN USER KEY-----", 24) == 0);
    CHECK(dime_keys_read(armor.ptr, armor.len, &alice_again));
    dime_buffer_free(&armor);
    ASSERT(armor.ptr == NULL && armor.len == 0);
    printf("keys: generated 2 organizations and 2 users\n");

    /* Signets. */
    DimeSignet *origin = org_signet(origin_keys, "example.org");
    DimeSignet *destination = org_signet(destination_keys, "example.net");
    DimeSignet *alice = user_signet(alice_keys, origin, origin_keys, "alice@example.org");
    DimeSignet *bob = user_signet(bob_keys, destination, destination_keys, "bob@example.net");
    bool matches = false;
    CHECK(dime_keys_match_signet(alice_again, alice, &matches));
    ASSERT(matches);
    CHECK(dime_keys_match_signet(bob_keys, alice, &matches));
    ASSERT(!matches);
    dime_keys_free(alice_again);
    DimeSignet *no_signet = NULL;
    EXPECT(DIME_ERR_WRONG_KIND, dime_org_signet_new(alice_keys, (const uint8_t *)"x.org", 5, &no_signet));
    ASSERT(no_signet == NULL);

    /* A signet read back from its armor has the same fingerprint. */
    DimeSignet *alice_parsed = NULL;
    DimeFingerprint fp1, fp2;
    DimeStr identifier;
    DimeSignetKind kind = 0;
    CHECK(dime_signet_to_armor(alice, &armor));
    CHECK(dime_signet_parse(armor.ptr, armor.len, &alice_parsed));
    dime_buffer_free(&armor);
    CHECK(dime_signet_fingerprint(alice, DIME_FINGERPRINT_CRYPTO, &fp1));
    CHECK(dime_signet_fingerprint(alice_parsed, DIME_FINGERPRINT_CRYPTO, &fp2));
    ASSERT(memcmp(fp1.bytes, fp2.bytes, 64) == 0);
    CHECK(dime_signet_kind(alice_parsed, &kind));
    ASSERT(kind == DIME_SIGNET_USER);
    CHECK(dime_signet_identifier(alice_parsed, &identifier));
    ASSERT(str_eq(identifier, "alice@example.org"));
    DimeBuffer fp_text = {NULL, 0};
    CHECK(dime_fingerprint_to_text(&fp1, &fp_text));
    ASSERT(fp_text.len == 86);
    printf("signets: issued and validated; alice's crypto fingerprint %.*s\n", (int)fp_text.len,
           (const char *)fp_text.ptr);
    dime_buffer_free(&fp_text);
    dime_signet_free(alice_parsed);
    EXPECT(DIME_ERR_MALFORMED, dime_signet_parse((const uint8_t *)"nonsense", 8, &alice_parsed));
    ASSERT(alice_parsed == NULL);
    EXPECT(DIME_ERR_NULL, dime_signet_parse(NULL, 8, &alice_parsed));

    /* The management record anchors the origin's signet. */
    DimeRecord *record = NULL, *parsed = NULL;
    DimeBuffer record_text = {NULL, 0};
    size_t poks = 0;
    DimeSignetState state = 0;
    CHECK(dime_record_new(origin_keys, &record));
    CHECK(dime_record_to_text(record, &record_text));
    CHECK(dime_record_parse(record_text.ptr, record_text.len, &parsed));
    CHECK(dime_record_pok_count(parsed, &poks));
    ASSERT(poks == 1);
    bool anchored = false;
    CHECK(dime_signet_validate(origin, NULL, NULL, parsed, &state, &anchored, NULL));
    ASSERT(state == DIME_STATE_ID && anchored);
    CHECK(dime_signet_validate(destination, NULL, NULL, parsed, &state, NULL, NULL));
    ASSERT(state == DIME_STATE_INVALID);
    printf("record: %.*s\n", (int)record_text.len, (const char *)record_text.ptr);
    dime_buffer_free(&record_text);
    dime_record_free(parsed);
    dime_record_free(record);
    const char *bad_record = "ver=1 pok=tooshort";
    EXPECT(DIME_ERR_MALFORMED, dime_record_parse((const uint8_t *)bad_record, strlen(bad_record), &parsed));
    ASSERT(parsed == NULL);

    /* Alice writes to Bob. */
    const char *body = "Hello Bob, this is Alice.";
    const char attachment_bytes[] = {0, 1, 2, 3, (char)0xff};
    DimeHeaders headers = {
        .date = str("Tue, 1 Apr 2025 10:00:00 +0000"),
        .to = str("bob@example.net"),
        .cc = {NULL, 0},
        .from = str("alice@example.org"),
        .organization = {NULL, 0},
        .subject = str("Greetings"),
    };
    DimePart text = {str("text/plain; charset=utf-8"), {NULL, 0}, str(body)};
    DimePart attachment = {str("application/octet-stream"), str("data.bin"),
                           {(const uint8_t *)attachment_bytes, sizeof attachment_bytes}};
    DimeContent *content = NULL;
    DimeBuffer message = {NULL, 0};
    CHECK(dime_content_new(&headers, &content));
    CHECK(dime_content_add_part(content, DIME_PART_DISPLAY, &text));
    CHECK(dime_content_add_part(content, DIME_PART_ATTACHMENT, &attachment));
    EXPECT(DIME_ERR_INVALID_ARGUMENT, dime_content_add_part(content, 9, &text));
    CHECK(dime_message_compose(alice_keys, alice, origin, destination, bob, content, DIME_PQ_PREFER, &message));
    printf("compose: %zu bytes\n", message.len);

    /* The same content to bob and, as a copy, to alice herself: encrypted once, two objects. */
    const DimeSignet *destinations[2] = {destination, origin};
    const DimeSignet *recipients[2] = {bob, alice};
    DimeBuffer many[2] = {{NULL, 0}, {NULL, 0}};
    EXPECT(DIME_ERR_NULL, dime_message_compose_many(alice_keys, alice, origin, destinations, NULL, 2, content,
                                                    DIME_PQ_PREFER, many));
    ASSERT(many[0].ptr == NULL && many[1].ptr == NULL);
    CHECK(dime_message_compose_many(alice_keys, alice, origin, NULL, NULL, 0, content, DIME_PQ_PREFER, NULL));
    CHECK(dime_message_compose_many(alice_keys, alice, origin, destinations, recipients, 2, content, DIME_PQ_PREFER,
                                     many));
    const DimeKeys *readers[2] = {bob_keys, alice_keys};
    const DimeKeys *strangers[2] = {alice_keys, bob_keys};
    const DimeSignet *strangers_signets[2] = {alice, bob};
    const char *addresses[2] = {"bob@example.net", "alice@example.org"};
    for (int i = 0; i < 2; i++) {
        DimeOriginView *view = NULL;
        DimeBuffer sent = {NULL, 0};
        DimeOpened *copy = NULL;
        DimeEnvelope seen;
        DimeHeaders copy_headers;
        CHECK(dime_message_open_as_origin(many[i].ptr, many[i].len, origin_keys, alice, &view));
        CHECK(dime_origin_view_countersign(view, origin_keys, &sent));
        dime_origin_view_free(view);
        CHECK(dime_message_open_as_recipient(sent.ptr, sent.len, readers[i], recipients[i], alice, origin, &copy));
        CHECK(dime_opened_envelope(copy, &seen));
        ASSERT(str_eq(seen.recipient, addresses[i]));
        CHECK(dime_opened_headers(copy, &copy_headers));
        ASSERT(str_eq(copy_headers.subject, "Greetings"));
        dime_opened_free(copy);
        EXPECT(DIME_ERR_DECRYPT,
               dime_message_open_as_recipient(sent.ptr, sent.len, strangers[i], strangers_signets[i], alice, origin,
                                              &copy));
        ASSERT(copy == NULL);
        dime_buffer_free(&sent);
    }
    printf("compose many: %zu and %zu bytes, each opened by its own recipient only\n", many[0].len, many[1].len);
    dime_buffer_free(&many[0]);
    dime_buffer_free(&many[1]);
    dime_content_free(content);

    /* The origin verifies its user and countersigns. */
    DimeOriginView *origin_view = NULL;
    DimeEnvelope envelope;
    DimeBuffer relayed = {NULL, 0};
    CHECK(dime_message_open_as_origin(message.ptr, message.len, origin_keys, alice, &origin_view));
    CHECK(dime_origin_view_envelope(origin_view, &envelope));
    ASSERT(str_eq(envelope.author, "alice@example.org") && str_eq(envelope.destination, "example.net"));
    ASSERT(envelope.recipient.ptr == NULL && envelope.recipient_signet == NULL);
    ASSERT(envelope.author_signet != NULL && memcmp(envelope.author_signet->bytes, fp1.bytes, 64) == 0);
    CHECK(dime_origin_view_countersign(origin_view, origin_keys, &relayed));
    /* The envelope's views point into the view handle: use them before freeing it. */
    printf("origin: %.*s -> %.*s, countersigned (%zu bytes)\n", (int)envelope.author.len,
           (const char *)envelope.author.ptr, (int)envelope.destination.len,
           (const char *)envelope.destination.ptr, relayed.len);
    dime_origin_view_free(origin_view);
    /* The destination's keys do not open the origin's view. */
    EXPECT(DIME_ERR_DECRYPT, dime_message_open_as_origin(message.ptr, message.len, destination_keys, alice,
                                                         &origin_view));
    ASSERT(origin_view == NULL);
    dime_buffer_free(&message);

    /* The destination checks the countersignature and learns the recipient. */
    DimeDestinationView *destination_view = NULL;
    CHECK(dime_message_open_as_destination(relayed.ptr, relayed.len, destination_keys, origin,
                                           &destination_view));
    CHECK(dime_destination_view_envelope(destination_view, &envelope));
    ASSERT(str_eq(envelope.recipient, "bob@example.net") && str_eq(envelope.origin, "example.org"));
    ASSERT(envelope.author.ptr == NULL && envelope.author_signet == NULL);
    printf("destination: for %.*s from %.*s\n", (int)envelope.recipient.len,
           (const char *)envelope.recipient.ptr, (int)envelope.origin.len, (const char *)envelope.origin.ptr);
    dime_destination_view_free(destination_view);

    /* Bob reads it. */
    DimeOpened *opened = NULL;
    DimeHeaders read_headers;
    DimePart part;
    size_t count = 0;
    bool countersigned = false;
    EXPECT(DIME_ERR_WRONG_KIND, dime_message_open_as_recipient(relayed.ptr, relayed.len, destination_keys,
                                                               bob, alice, origin, &opened));
    EXPECT(DIME_ERR_NULL, dime_message_open_as_recipient(relayed.ptr, relayed.len, bob_keys, bob, NULL, origin,
                                                         &opened));
    /* Bob's own signet must be the one the message names. */
    EXPECT(DIME_ERR_SIGNET_MISMATCH, dime_message_open_as_recipient(relayed.ptr, relayed.len, bob_keys, alice,
                                                                    alice, origin, &opened));
    CHECK(dime_message_open_as_recipient(relayed.ptr, relayed.len, bob_keys, bob, alice, origin, &opened));
    CHECK(dime_opened_headers(opened, &read_headers));
    ASSERT(str_eq(read_headers.subject, "Greetings") && str_eq(read_headers.from, "alice@example.org"));
    ASSERT(read_headers.cc.ptr == NULL);
    CHECK(dime_opened_countersigned(opened, &countersigned));
    ASSERT(countersigned);
    CHECK(dime_opened_part_count(opened, DIME_PART_DISPLAY, &count));
    ASSERT(count == 1);
    CHECK(dime_opened_part(opened, DIME_PART_DISPLAY, 0, &part));
    ASSERT(str_eq(part.content_type, "text/plain; charset=utf-8") && part.file_name.ptr == NULL);
    ASSERT(part.data.len == strlen(body) && memcmp(part.data.ptr, body, part.data.len) == 0);
    printf("recipient: subject \"%.*s\"\n", (int)read_headers.subject.len,
           (const char *)read_headers.subject.ptr);
    printf("plaintext: %.*s\n", (int)part.data.len, (const char *)part.data.ptr);
    CHECK(dime_opened_part_count(opened, DIME_PART_ATTACHMENT, &count));
    ASSERT(count == 1);
    CHECK(dime_opened_part(opened, DIME_PART_ATTACHMENT, 0, &part));
    ASSERT(str_eq(part.file_name, "data.bin"));
    ASSERT(part.data.len == sizeof attachment_bytes &&
           memcmp(part.data.ptr, attachment_bytes, sizeof attachment_bytes) == 0);
    printf("attachment: %.*s, %zu bytes\n", (int)part.file_name.len, (const char *)part.file_name.ptr,
           part.data.len);
    EXPECT(DIME_ERR_INVALID_ARGUMENT, dime_opened_part(opened, DIME_PART_ATTACHMENT, 1, &part));
    printf("error message: %s\n", dime_last_error_message());
    dime_opened_free(opened);

    /* The author reopens the relayed copy, checking the countersignature too. */
    CHECK(dime_message_open_as_author(relayed.ptr, relayed.len, alice_keys, alice, origin, &opened));
    CHECK(dime_opened_envelope(opened, &envelope));
    ASSERT(str_eq(envelope.recipient, "bob@example.net") && str_eq(envelope.author, "alice@example.org"));
    dime_opened_free(opened);
    dime_buffer_free(&relayed);

    /* Hybrid keys (ML-KEM-768 + X25519, decision D8): the policy decides the keyslots, and a
       classical message between hybrid parties is refused by the recipient as a downgrade. */
    DimeKeys *pq_keys[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++) {
        CHECK(dime_keys_generate_hybrid(i < 2 ? DIME_KEY_OWNER_ORG : DIME_KEY_OWNER_USER, &pq_keys[i]));
    }
    DimeSignet *pq_origin = org_signet(pq_keys[0], "example.org");
    DimeSignet *pq_destination = org_signet(pq_keys[1], "example.net");
    DimeSignet *pq_alice = user_signet(pq_keys[2], pq_origin, pq_keys[0], "alice@example.org");
    DimeSignet *pq_bob = user_signet(pq_keys[3], pq_destination, pq_keys[1], "bob@example.net");
    CHECK(dime_content_new(&headers, &content));
    CHECK(dime_content_add_part(content, DIME_PART_DISPLAY, &text));
    const DimePq policies[2] = {DIME_PQ_REQUIRE, DIME_PQ_NEVER};
    for (int i = 0; i < 2; i++) {
        DimeOriginView *view = NULL;
        DimeProtection protection = 9;
        CHECK(dime_message_compose(pq_keys[2], pq_alice, pq_origin, pq_destination, pq_bob, content, policies[i],
                                   &message));
        CHECK(dime_message_open_as_origin(message.ptr, message.len, pq_keys[0], pq_alice, &view));
        CHECK(dime_origin_view_countersign(view, pq_keys[0], &relayed));
        dime_origin_view_free(view);
        if (policies[i] == DIME_PQ_REQUIRE) {
            CHECK(dime_message_open_as_recipient(relayed.ptr, relayed.len, pq_keys[3], pq_bob, pq_alice, pq_origin,
                                                 &opened));
            CHECK(dime_opened_protection(opened, &protection));
            ASSERT(protection == DIME_PROTECTION_FULL);
            dime_opened_free(opened);
        } else {
            EXPECT(DIME_ERR_DOWNGRADE, dime_message_open_as_recipient(relayed.ptr, relayed.len, pq_keys[3], pq_bob,
                                                                      pq_alice, pq_origin, &opened));
            ASSERT(opened == NULL);
            printf("downgrade: %s\n", dime_last_error_message());
        }
        dime_buffer_free(&message);
        dime_buffer_free(&relayed);
    }
    /* Classical signets cannot meet DIME_PQ_REQUIRE; an unknown policy is refused. */
    EXPECT(DIME_ERR_SIGNET_MISMATCH,
           dime_message_compose(alice_keys, alice, origin, destination, bob, content, DIME_PQ_REQUIRE, &message));
    EXPECT(DIME_ERR_INVALID_ARGUMENT,
           dime_message_compose(alice_keys, alice, origin, destination, bob, content, 4, &message));
    ASSERT(message.ptr == NULL);
    dime_content_free(content);
    dime_signet_free(pq_origin);
    dime_signet_free(pq_destination);
    dime_signet_free(pq_alice);
    dime_signet_free(pq_bob);
    for (int i = 0; i < 4; i++) {
        dime_keys_free(pq_keys[i]);
    }

    dime_signet_free(origin);
    dime_signet_free(destination);
    dime_signet_free(alice);
    dime_signet_free(bob);
    dime_keys_free(origin_keys);
    dime_keys_free(destination_keys);
    dime_keys_free(alice_keys);
    dime_keys_free(bob_keys);
    printf("full flow: OK\n");
    return 0;
}
