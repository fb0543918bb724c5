Feature: Audit trail
  Every request about a child leaves a trace that cannot be rewritten, so that a council and an
  auditor can always tell who looked at a child's record, why, and what they were shown.

  - Every search, read, write and refused request leaves one audit event (AUDIT-001) naming the
    caller (subject, role, organisation, council and sector of the token), the children it was
    about, the action and the purpose of use, the tiers of data the answer disclosed, the
    outcome, the time in UTC and the request's correlation id. A refused request is recorded as
    not successful; a request without a valid token is recorded too.
  - Reads and searches must state why in the X-Purpose-Of-Use header (AUDIT-002): without it the
    answer is 400 PURPOSE_REQUIRED and discloses nothing; an unknown purpose is 422
    UNKNOWN_CODE.
  - The audit log is append-only and hash-chained (AUDIT-003): each event's hash is the
    lowercase hex SHA-256 of the RFC 8785 canonical JSON of the event as served without its
    hash, prevHash is the hash of the event before (64 zeros for the first), and seq goes up by
    one. No API changes, deletes or adds an event. The harness recomputes the chain itself.
  - The management of the responsible council can list a child's access history (AUDIT-004):
    at least the 25 most recent accesses by anyone outside that management team, newest first,
    leaving out silent scheduled-care reads and the council's own management.

  @AUDIT-001 @positive
  Scenario: A read, a search and an update each leave an audit event that describes them
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    And a social worker "Sam" from council 202
    When "Priya" reads the child "Amara"
    Then the response status is 200
    And the audit log records that request as made by "Priya" about the child "Amara"
    When "Priya" looks up the child "Amara" by NHS number
    Then the response status is 200
    And the audit log records that request as made by "Priya" about the child "Amara"
    When "Sam" renames the child "Amara" to "Fairweather" with its current ETag
    Then the response status is 200
    And the audit log records that request as made by "Sam" about the child "Amara"

  @AUDIT-001 @positive
  Scenario: The audit event of a social worker's read records that protection status was disclosed
    Given a child "Amara" known to council 202
    And the child "Amara" is subject to a child protection plan set by its council
    And a social worker "Sam" from council 201
    When "Sam" reads the child "Amara"
    Then the audit log records that request as made by "Sam" about the child "Amara"
    And that audit event lists the tier "T5" as disclosed

  @AUDIT-001 @negative
  Scenario: A practitioner's read is not recorded as disclosing protection status it did not show
    Given a child "Amara" known to council 202
    And the child "Amara" is subject to a child protection plan set by its council
    And a practitioner "Priya" from the education sector of council 201
    When "Priya" reads the child "Amara"
    Then the audit log records that request as made by "Priya" about the child "Amara"
    And that audit event does not list the tier "T5" as disclosed

  @AUDIT-001 @negative
  Scenario: Refused and unauthenticated requests leave audit events too
    Given a child "Amara" known to council 202
    And an auditor "Aude" of council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Aude" reads the child "Amara"
    Then the audit log records that request as made by "Aude" about the child "Amara"
    When "Priya" reads the child "Amara" without a purpose of use
    Then the audit log records that request as made by "Priya" about the child "Amara"
    When an anonymous caller reads the child "Amara"
    Then the audit log records that unauthenticated request about the child "Amara"

  @AUDIT-002 @positive
  Scenario: Reads and searches that state their purpose are answered
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" for the purpose "SAFEGUARDING_CONCERN"
    Then the response status is 200
    When "Priya" looks up the child "Amara" by NHS number
    Then the response status is 200

  @AUDIT-002 @negative
  Scenario: A read without a purpose of use is refused and discloses nothing
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" without a purpose of use
    Then the response status is 400
    And the response is a problem with code "PURPOSE_REQUIRED"
    And the response discloses nothing of the child "Amara"
    When "Priya" reads the child "Amara" with an empty purpose of use
    Then the response status is 400
    And the response is a problem with code "PURPOSE_REQUIRED"
    And the response discloses nothing of the child "Amara"

  @AUDIT-002 @negative
  Scenario: A search or an involvement list without a purpose of use is refused and discloses nothing
    Given a child "Amara" known to council 202
    And a social worker "Sam" from council 201
    When "Sam" looks up the child "Amara" by NHS number without a purpose of use
    Then the response status is 400
    And the response is a problem with code "PURPOSE_REQUIRED"
    And the response discloses nothing of the child "Amara"
    When "Sam" lists the involvements of the child "Amara" without a purpose of use
    Then the response status is 400
    And the response is a problem with code "PURPOSE_REQUIRED"

  @AUDIT-002 @negative
  Scenario: A read for a purpose that is not in the code system is refused
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" for the unknown purpose "IDLE_CURIOSITY"
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_CODE"
    And the response discloses nothing of the child "Amara"

  @AUDIT-003 @positive
  Scenario: The audit log is an unbroken hash chain from its first event
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    And "Priya" reads the child "Amara" without a purpose of use
    Then the audit log begins with an event whose prevHash is 64 zeros
    And every audit event since the child "Amara" was recorded is linked to the one before it by its hash

  @AUDIT-003 @negative
  Scenario: No API changes, deletes or adds an audit event
    Given a child "Amara" known to council 202
    And an auditor "Aude" of council 202
    And a council manager "Mo" of council 202
    And "Aude" reads the child "Amara"
    And the auditor has read the audit events about the child "Amara"
    When "Aude" tries to change, delete and add audit events
    And "Mo" tries to change, delete and add audit events
    Then every attempt to change the audit log was refused
    And the audit events about the child "Amara" are unchanged and still linked by their hashes

  @AUDIT-003 @negative
  Scenario: A practitioner cannot read the audit log
    Given a practitioner "Priya" from the health sector of council 202
    When "Priya" sends a GET request to "/v1/audit-events"
    Then the response status is 403
    And the response is a problem with code "FORBIDDEN"

  @AUDIT-004 @positive
  Scenario: The responsible council sees the 25 most recent external accesses, newest first
    Given a child "Amara" known to council 202
    And a council manager "Mo" of council 202
    When 27 practitioners from the health sector of council 201 each read the child "Amara" in turn
    And "Mo" lists the access history of the child "Amara"
    Then the response status is 200
    And the access history lists the last 25 of those reads first, newest first

  @AUDIT-004 @negative
  Scenario: Silent scheduled-care reads and the council's own management are left out of the access history
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    And a practitioner "Pat" from the education sector of council 203
    And a practitioner "Quinn" from the health sector of council 201
    And a council manager "Mo" of council 202
    When "Priya" reads the child "Amara"
    And "Quinn" reads the child "Amara" for the purpose "SCHEDULED_CARE_SILENT"
    And "Mo" reads the child "Amara"
    And "Pat" reads the child "Amara"
    And "Quinn" reads the child "Amara" for the purpose "SCHEDULED_CARE_SILENT"
    And "Mo" reads the child "Amara"
    And "Mo" lists the access history of the child "Amara"
    Then the response status is 200
    And the access history begins with the reads by "Pat" and "Priya", newest first
    And the access history shows no access by "Quinn" or "Mo"

  @AUDIT-004 @negative
  Scenario: Only the responsible council's management may list a child's access history
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 202
    And a council manager "Lee" of council 201
    When "Priya" lists the access history of the child "Amara"
    Then the response status is 403
    And the response is a problem with code "FORBIDDEN"
    When "Lee" lists the access history of the child "Amara"
    Then the response status is 403
    And the response is a problem with code "FORBIDDEN"
