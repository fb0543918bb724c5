Feature: Access control
  Only the people the role table allows may see or change a child's record, and a refusal never
  tells a caller whether a record exists.

  - Every request under /v1/ carries a bearer token signed by the national identity service
    (AUTH-001). A missing, expired, wrongly signed, unsigned or wrong-audience token, or one
    without a known role, gets 401 UNAUTHENTICATED with a WWW-Authenticate: Bearer challenge,
    and changes nothing.
  - The role table is enforced (AUTH-002). An operation a role may never do gets 403 FORBIDDEN,
    and the answer is the same for an active, a shielded, an archived and an unknown record.
    For example: auditors and peer systems never read or search; practitioners never shield,
    merge, update a record, set protection status or see the access history or audit log;
    unscheduled-care clinicians only read and search.
  - Archived records (AUTH-003) are readable by the responsible council's management for one
    year after archiving; after that only for S47_ENQUIRY or SERIOUS_CASE_REVIEW (else 403
    ARCHIVE_ACCESS_RESTRICTED); six years after archiving the record is purged (410 GONE).
    Everybody else gets the same 404 as for an unknown record.
  - Break-glass access (AUTH-004, SHOULD) uses the purpose BREAK_GLASS with a reason in
    X-Break-Glass-Reason (else 400 BREAK_GLASS_REASON_REQUIRED). It shows a practitioner the
    protection status too, and is flagged, with its reason, in the audit log and in the
    responsible council's access history.

  @AUTH-001 @positive
  Scenario: A request with a valid token is answered
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" presenting a valid token
    Then the response status is 200

  @AUTH-001 @negative
  Scenario Outline: A read presenting <token> is refused as unauthenticated
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" presenting <token>
    Then the request is refused as unauthenticated

    Examples:
      | token                            |
      | no token                         |
      | an expired token                 |
      | a token signed by an unknown key |
      | a token for another audience     |
      | an unsigned token                |
      | a token without a role           |
      | a token with an unknown role     |
      | a token that is not a JWT        |

  @AUTH-001 @negative
  Scenario: An unauthenticated create is refused and creates nothing
    Given a council manager "Mo" of council 202
    When "Mo" tries to create the child "Nia" presenting a token signed by an unknown key
    Then the request is refused as unauthenticated
    And no child "Nia" was created

  @AUTH-002 @negative
  Scenario Outline: The role <role> may never <operation> a child, whichever record it names
    Given council 202 holds an active, a shielded and an archived child record
    And <actor>
    When "Kim" tries to <operation> each of those records and an unknown one
    Then every attempt is refused with 403 FORBIDDEN

    Examples:
      | role                       | operation                             | actor                                                                 |
      | AUDITOR                    | read                                  | an auditor "Kim" of council 202                                       |
      | AUDITOR                    | search for                            | an auditor "Kim" of council 202                                       |
      | AUDITOR                    | add an involvement to                 | an auditor "Kim" of council 202                                       |
      | SYSTEM                     | read                                  | a peer system "Kim" of council 202                                    |
      | SYSTEM                     | search for                            | a peer system "Kim" of council 202                                    |
      | PRACTITIONER               | shield                                | a practitioner "Kim" from the education sector of council 202         |
      | PRACTITIONER               | unshield                              | a practitioner "Kim" from the education sector of council 202         |
      | PRACTITIONER               | merge a duplicate record into         | a practitioner "Kim" from the health sector of council 202            |
      | PRACTITIONER               | update                                | a practitioner "Kim" from the health sector of council 202            |
      | PRACTITIONER               | set a child protection plan on        | a practitioner "Kim" from the health sector of council 202            |
      | PRACTITIONER               | list the access history of            | a practitioner "Kim" from the health sector of council 202            |
      | PRACTITIONER               | list the audit events of              | a practitioner "Kim" from the health sector of council 202            |
      | SOCIAL_WORKER              | shield                                | a social worker "Kim" of council 202                                  |
      | SOCIAL_WORKER              | list the access history of            | a social worker "Kim" of council 202                                  |
      | HEALTH_UNSCHEDULED         | add an involvement to                 | an unscheduled care clinician "Kim" of council 202                    |
      | HEALTH_UNSCHEDULED         | raise an information-to-share flag on | an unscheduled care clinician "Kim" of council 202                    |
      | HEALTH_UNSCHEDULED         | set a child protection plan on        | an unscheduled care clinician "Kim" of council 202                    |

  @AUTH-002 @positive
  Scenario Outline: The role <role> may <operation> a child, as the role table allows
    Given a child "Amara" known to council 202
    And <actor>
    Then "Kim" is permitted to <operation> the child "Amara"

    Examples:
      | role                       | operation                             | actor                                                          |
      | PRACTITIONER               | read                                  | a practitioner "Kim" from the health sector of council 201     |
      | PRACTITIONER               | search for                            | a practitioner "Kim" from the education sector of council 201  |
      | PRACTITIONER               | add an involvement to                 | a practitioner "Kim" from the health sector of council 202     |
      | PRACTITIONER               | raise an information-to-share flag on | a practitioner "Kim" from the education sector of council 202  |
      | SOCIAL_WORKER              | read                                  | a social worker "Kim" of council 201                           |
      | SOCIAL_WORKER              | update                                | a social worker "Kim" of council 202                           |
      | SOCIAL_WORKER              | set a child protection plan on        | a social worker "Kim" of council 202                           |
      | HEALTH_UNSCHEDULED         | read                                  | an unscheduled care clinician "Kim" of council 201             |
      | HEALTH_UNSCHEDULED         | search for                            | an unscheduled care clinician "Kim" of council 201             |
      | LA_MANAGEMENT              | update                                | a council manager "Kim" of council 202                         |
      | LA_MANAGEMENT              | set a child protection plan on        | a council manager "Kim" of council 202                         |
      | LA_MANAGEMENT              | merge a duplicate record into         | a council manager "Kim" of council 202                         |
      | LA_MANAGEMENT              | list the access history of            | a council manager "Kim" of council 202                         |
      | LA_MANAGEMENT              | list the audit events of              | a council manager "Kim" of council 202                         |
      | AUDITOR                    | list the audit events of              | an auditor "Kim" of council 202                                |

  @AUTH-002 @positive
  Scenario: The responsible council's management shields and unshields a record
    Given a child "Amara" known to council 202
    And a council manager "Mo" of council 202
    Then "Mo" is permitted to shield the child "Amara"
    And "Mo" is permitted to unshield the child "Amara"

  @AUTH-002 @negative
  Scenario: Only the responsible council's social workers set protection status
    Given a child "Amara" known to council 202
    And a social worker "Sam" from council 201
    Then "Sam" is refused permission to set a child protection plan on the child "Amara"

  @AUTH-003 @positive
  Scenario: The responsible council's management reads a record archived less than a year ago
    Given a child "Ola" known to council 202 who was archived 6 months ago
    And a council manager "Mo" of council 202
    When "Mo" reads the child "Ola" for the purpose "SAFEGUARDING_CONCERN"
    Then the response status is 200

  @AUTH-003 @positive
  Scenario: A record archived over a year ago is read for a statutory enquiry or review
    Given a child "Ola" known to council 202 who was archived 2 years ago
    And a council manager "Mo" of council 202
    When "Mo" reads the child "Ola" for the purpose "S47_ENQUIRY"
    Then the response status is 200
    When "Mo" reads the child "Ola" for the purpose "SERIOUS_CASE_REVIEW"
    Then the response status is 200

  @AUTH-003 @negative
  Scenario: A record archived over a year ago is not read for any other purpose
    Given a child "Ola" known to council 202 who was archived 2 years ago
    And a council manager "Mo" of council 202
    When "Mo" reads the child "Ola" for the purpose "SAFEGUARDING_CONCERN"
    Then the response status is 403
    And the response is a problem with code "ARCHIVE_ACCESS_RESTRICTED"

  @AUTH-003 @negative
  Scenario: A record archived six years ago or more is purged
    Given a child "Ola" known to council 202 who was archived 7 years ago
    And a council manager "Mo" of council 202
    When "Mo" reads the child "Ola" for the purpose "S47_ENQUIRY"
    Then the response status is 410
    And the response is a problem with code "GONE"

  @AUTH-003 @negative
  Scenario: Nobody but the responsible council's management sees an archived record
    Given a child "Ola" known to council 202 who was archived 6 months ago
    And a practitioner "Priya" from the health sector of council 202
    And a council manager "Lee" of council 201
    When "Priya" reads the child "Ola" for the purpose "S47_ENQUIRY"
    Then the response status is 404
    And the response is a problem with code "NOT_FOUND"
    When "Lee" reads the child "Ola" for the purpose "S47_ENQUIRY"
    Then the response status is 404
    And the response is a problem with code "NOT_FOUND"

  @AUTH-004 @positive
  Scenario: A practitioner breaking the glass with a reason sees protection status, flagged for the council
    Given a child "Amara" known to council 202
    And the child "Amara" is subject to a child protection plan set by its council
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" breaking the glass because "Unconscious child in A&E, carers unreachable"
    Then the response status is 200
    And the response shows the child protection plan
    And the audit log records that request about the child "Amara" as break-glass access with the reason "Unconscious child in A&E, carers unreachable"
    And the access history of the child "Amara" shows the access by "Priya" flagged as break-glass

  @AUTH-004 @negative
  Scenario: Breaking the glass needs a reason
    Given a child "Amara" known to council 202
    And the child "Amara" is subject to a child protection plan set by its council
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" breaking the glass without giving a reason
    Then the response status is 400
    And the response is a problem with code "BREAK_GLASS_REASON_REQUIRED"
    When "Priya" reads the child "Amara" breaking the glass with a blank reason
    Then the response status is 400
    And the response is a problem with code "BREAK_GLASS_REASON_REQUIRED"

  @AUTH-004 @negative
  Scenario: An ordinary read is not flagged as break-glass access
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara"
    Then the response status is 200
    And the audit log records that request about the child "Amara" as ordinary access
