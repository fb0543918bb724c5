Feature: Notifications to the responsible council
  A council that is responsible for a child must know when others look at the child's record,
  and when something about the child changes. Systems tell it through webhooks: the council's
  management subscribes a URL and a secret (POST /v1/subscriptions), and the system POSTs a thin
  notification to that URL for every event about the council's children. The harness receives
  them itself, on a URL of its own for each subscription, with a secret of its own.

  The rules:
  - NOTIF-001: a read by anyone outside the responsible council notifies that council
    (RECORD_ACCESSED). A silent scheduled-care read (purpose SCHEDULED_CARE_SILENT) notifies no
    one.
  - NOTIF-002: delivery is at least once. Each notification has a unique eventId and a seq that
    counts the notifications about one child from 1, without gaps, so that a receiver can remove
    duplicates and restore the order. A notification delivered again is the same notification.
  - NOTIF-003: each delivery is signed: X-Webhook-Signature is "v1=" and the hex HMAC-SHA256,
    keyed with the subscription's secret, of the X-Webhook-Timestamp value, a full stop and the
    exact body. A delivery the receiver does not acknowledge (2xx) is retried with backoff (1 s,
    doubling), and after 8 attempts it is dead-lettered: GET /v1/subscriptions/{id} lists it and
    it is not retried again.
  - NOTIF-004: a notification carries identifiers and the event type only (eventId, seq, type,
    occurredAt, childId, la): no name, date of birth, address, contact or identifier of the
    child.
  - SENS-006: a shield whose review date has passed raises SHIELD_REVIEW_DUE for the
    responsible council, once per review date. Time is moved with the optional test clock.

  Every check looks only at the notifications about the scenario's own children. Scenarios that
  move the target's clock run alone (@exclusive).

  # ---------------------------------------------------------------- NOTIF-001

  @NOTIF-001 @positive
  Scenario: A read from another council notifies the responsible council
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara" for council 202

  @NOTIF-001 @negative
  Scenario: A silent scheduled-care read from another council notifies no one
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a practitioner "Priya" from the health sector of council 201
    And a practitioner "Quinn" from the health sector of council 201
    When "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara" for council 202
    When "Quinn" reads the child "Amara" for the purpose "SCHEDULED_CARE_SILENT"
    Then the response status is 200
    When "Priya" has added a "GP" involvement "gp" to "Amara" starting 20 days ago
    Then the webhook "inbox" receives an "INVOLVEMENT_ADDED" notification about "Amara"
    And no other notification about "Amara" was raised between the last two

  # ---------------------------------------------------------------- NOTIF-002

  @NOTIF-002 @positive
  Scenario: Each notification about a child has its own event id and the next seq
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a practitioner "Chidi" from the health sector of council 201
    When "Chidi" adds a "GP" involvement "gp" to "Amara" starting 20 days ago
    And "Chidi" reads the child "Amara"
    And "Chidi" reads the child "Amara"
    Then the webhook "inbox" receives 3 notifications about "Amara"
    And the notifications about "Amara" have unique event ids and seq numbers from 1 without gaps

  @NOTIF-002 @negative
  Scenario: A notification delivered again after a refusal is recognisably the same one
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And the webhook "inbox" refuses the next 1 delivery about "Amara"
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara"
    And the refused notification about "Amara" was delivered again with the same event id and seq
    And the notifications about "Amara" have unique event ids and seq numbers from 1 without gaps

  # ---------------------------------------------------------------- NOTIF-003

  @NOTIF-003 @positive
  Scenario: Every delivery is signed with the subscription's secret
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara"
    And every delivery about "Amara" is signed with the subscription's secret

  @NOTIF-003 @negative
  Scenario: Refused deliveries are retried after growing intervals
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And the webhook "inbox" refuses the next 3 deliveries about "Amara"
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara"
    And the retries of the refused notification about "Amara" came after growing intervals
    And every delivery about "Amara" is signed with the subscription's secret

  @NOTIF-003 @negative @cap-test-clock @exclusive
  Scenario: A delivery refused up to the retry limit is dead-lettered and not retried again
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And the webhook "inbox" refuses the next 8 deliveries about "Amara"
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    And the test clock is moved past each retry until the notification about "Amara" has been refused 8 times
    Then the subscription "inbox" lists the notification about "Amara" as a dead letter after 8 attempts
    When the test clock is moved forward 2 hours
    And "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara"
    And the dead-lettered notification about "Amara" was not delivered again

  # ---------------------------------------------------------------- NOTIF-004

  @NOTIF-004 @positive
  Scenario: A notification carries identifiers and the event type only
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara" for council 202
    And the notifications about "Amara" carry only the members of the contract's Notification

  @NOTIF-004 @negative
  Scenario: No name, date of birth, address, contact or identifier of the child reaches a notification
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a practitioner "Chidi" from the health sector of council 201
    When "Chidi" adds a "GP" involvement "gp" to "Amara" starting 20 days ago
    And "Chidi" reads the child "Amara"
    Then the webhook "inbox" receives an "INVOLVEMENT_ADDED" notification about "Amara"
    And the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara"
    And no personal value of "Amara" appears in any notification about "Amara"

  # ---------------------------------------------------------------- SENS-006

  @SENS-006 @positive @cap-test-clock @exclusive
  Scenario: A shield whose review date has passed raises SHIELD_REVIEW_DUE
    Given a child "Amara" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a council manager "Mo" of council 202
    And "Mo" has shielded the record of "Amara" with a review due tomorrow
    When the test clock is moved forward 2 days
    Then the webhook "inbox" receives a "SHIELD_REVIEW_DUE" notification about "Amara" for council 202

  @SENS-006 @negative @cap-test-clock @exclusive
  Scenario: A shield whose review is not yet due raises nothing, and a due one is raised once
    Given a child "Amara" known to council 202
    And a child "Bea" known to council 202
    And council 202 subscribes a webhook "inbox" to every notification
    And a council manager "Mo" of council 202
    And "Mo" has shielded the record of "Amara" with a review due tomorrow
    And "Mo" has shielded the record of "Bea" with a review due 30 days from now
    When the test clock is moved forward 2 days
    Then the webhook "inbox" receives a "SHIELD_REVIEW_DUE" notification about "Amara"
    When the test clock is moved forward 1 day
    And a practitioner "Priya" from the health sector of council 201
    And "Priya" reads the child "Bea"
    And "Priya" reads the child "Amara"
    Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Bea"
    And the notification about "Bea" is the only one raised about "Bea"
    And the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara"
    And no other notification about "Amara" was raised between the last two
