Feature: Sensitive services and shielded records
  Some services a young person uses are nobody else's business: sexual health, mental health
  (CAMHS) and substance misuse services. Some children must not be found at all: a child who has
  fled domestic abuse, or is placed for adoption, has a shielded record.

  The rules:
  - SENS-001: a sensitive-service involvement (SENSITIVE_SEXUAL_HEALTH, SENSITIVE_MENTAL_HEALTH,
    SENSITIVE_SUBSTANCE_MISUSE) needs a disclosure basis: the young person's CONSENT, with a
    consentRef naming a current SENSITIVE_SERVICE_DISCLOSURE consent of the same child, or
    SIGNIFICANT_HARM. Without one it is refused with 422 DISCLOSURE_BASIS_REQUIRED, and nothing
    is stored.
  - SENS-002: practitioners of every sector, social workers, unscheduled care and other
    councils never receive the provider or practitioner of a sensitive service, not even the
    practitioner who recorded it. They see only that a sensitive service is involved, with
    contactVia LA_MANAGEMENT: contact goes through the responsible council's management team,
    who see the details.
  - SENS-003: only the management team of the council responsible for the child can shield or
    unshield its record, and shielding needs a reason code and a review date. Anyone else gets
    403 and the record's shield does not change.
  - SENS-004: on a shielded record everyone except that management team sees only the child's
    id, version, status, name, gender and date of birth, the names and relationships of parents
    and carers, and the fact of the shield: no address, whereabouts, responsible council,
    identifiers, indicators, contact details or former names. Every involvement is shown to
    them in brokered form.
  - SENS-005: the shield survives updates to the record and attempts to re-create the record
    (a new record with the same verified NHS number is refused, and no unshielded copy can be
    found). Only an explicit unshield (DELETE /v1/children/{id}/shield) shows the locating
    details again.

  # ---------------------------------------------------------------- SENS-001

  @SENS-001 @positive
  Scenario: A sensitive involvement on a significant-harm basis is accepted
    Given a child "Amara" known to council 202
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" adds a "SENSITIVE_MENTAL_HEALTH" involvement "camhs" to "Amara" starting 20 days ago with:
      | /disclosureBasis | SIGNIFICANT_HARM |
    Then the response status is 201
    And the responsible council's management sees the involvement "camhs" in full

  @SENS-001 @positive
  Scenario: A sensitive involvement with the young person's recorded consent is accepted
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara"
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" adds a "SENSITIVE_SEXUAL_HEALTH" involvement "clinic" to "Amara" starting 5 days ago on the basis of consent "disclosure"
    Then the response status is 201
    And the responsible council's management sees the involvement "clinic" in full

  @SENS-001 @negative
  Scenario Outline: A <service> involvement <without what> is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" tries to add a "<service>" involvement to "Amara" with:
      | /disclosureBasis | <basis> |
    Then the response status is 422
    And the response is a problem with code "DISCLOSURE_BASIS_REQUIRED"
    And no involvement is recorded for "Amara"

    Examples:
      | service                    | without what                        | basis     |
      | SENSITIVE_SEXUAL_HEALTH    | without a disclosure basis          | (absent)  |
      | SENSITIVE_MENTAL_HEALTH    | on a statutory basis                | STATUTORY |
      | SENSITIVE_SUBSTANCE_MISUSE | on a consent basis naming no consent | CONSENT  |

  @SENS-001 @negative
  Scenario: A sensitive involvement on a withdrawn consent is refused
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara"
    And "Sam" has withdrawn the consent "disclosure"
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" tries to add a "SENSITIVE_SEXUAL_HEALTH" involvement to "Amara" on the basis of consent "disclosure"
    Then the response status is 422
    And the response is a problem with code "DISCLOSURE_BASIS_REQUIRED"
    And no involvement is recorded for "Amara"

  @SENS-001 @negative
  Scenario: A sensitive involvement on a consent of another scope is refused
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "RETAIN_TO_25" consent "retain" for "Amara" to retain the record to age 21
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" tries to add a "SENSITIVE_MENTAL_HEALTH" involvement to "Amara" on the basis of consent "retain"
    Then the response status is 422
    And the response is a problem with code "DISCLOSURE_BASIS_REQUIRED"
    And no involvement is recorded for "Amara"

  @SENS-001 @negative
  Scenario: A sensitive involvement on another child's consent is refused
    Given a child "Amara" known to council 202
    And a child "Ben" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "bens" for "Ben"
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" tries to add a "SENSITIVE_SUBSTANCE_MISUSE" involvement to "Amara" on the basis of consent "bens"
    Then the response status is 422
    And the response is a problem with code "DISCLOSURE_BASIS_REQUIRED"
    And no involvement is recorded for "Amara"

  @SENS-001 @negative
  Scenario: A sensitive involvement on a consent that does not exist is refused
    Given a child "Amara" known to council 202
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" tries to add a "SENSITIVE_SEXUAL_HEALTH" involvement to "Amara" with:
      | /disclosureBasis | CONSENT                       |
      | /consentRef      | "icscert-no-such-consent-0001" |
    Then the response status is 422
    And the response is a problem with code "DISCLOSURE_BASIS_REQUIRED"
    And no involvement is recorded for "Amara"

  # ---------------------------------------------------------------- SENS-002

  @SENS-002 @positive
  Scenario: Practitioners learn that a sensitive service is involved; the council's management has its details
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has added a "SENSITIVE_MENTAL_HEALTH" involvement "camhs" to "Amara" starting 20 days ago
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 300 days ago
    And a practitioner "Tom" from the education sector of council 202
    When "Tom" lists the involvements of "Amara"
    Then the response status is 200
    And the list shows the involvement "camhs" in brokered form
    And the list shows the involvement "gp" in full
    When "Meera" lists the involvements of "Amara"
    Then the list shows the involvement "camhs" in full

  @SENS-002 @negative
  Scenario Outline: <reader> never receives the provider of a <service> service
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has added a "<service>" involvement "sensitive" to "Amara" starting 20 days ago
    And <introduction>
    When "Reader" lists the involvements of "Amara"
    Then the response status is 200
    And the list shows the involvement "sensitive" in brokered form
    And no field named "organisation" appears anywhere in the response body
    And no field named "practitioner" appears anywhere in the response body
    And no provider details of the involvement "sensitive" appear in the response
    When "Reader" reads the child "Amara"
    Then the response status is 200
    And no provider details of the involvement "sensitive" appear in the response

    Examples:
      | reader                            | service                    | introduction                                                     |
      | A teacher                         | SENSITIVE_SEXUAL_HEALTH    | a practitioner "Reader" from the education sector of council 202 |
      | A health practitioner             | SENSITIVE_MENTAL_HEALTH    | a practitioner "Reader" from the health sector of council 202    |
      | A police officer                  | SENSITIVE_SUBSTANCE_MISUSE | a practitioner "Reader" from the police sector of council 202    |
      | A voluntary sector worker         | SENSITIVE_MENTAL_HEALTH    | a practitioner "Reader" from the voluntary sector of council 202 |
      | A social worker                   | SENSITIVE_SEXUAL_HEALTH    | a social worker "Reader" of council 202                          |
      | Unscheduled care                  | SENSITIVE_SUBSTANCE_MISUSE | an unscheduled care clinician "Reader" of council 202            |
      | Another council's management      | SENSITIVE_MENTAL_HEALTH    | a council manager "Reader" of council 201                        |

  @SENS-002 @negative
  Scenario: A practitioner who records a sensitive service is not sent its details back
    Given a child "Amara" known to council 202
    And a practitioner "Chidi" from the health sector of council 202
    When "Chidi" adds a "SENSITIVE_SUBSTANCE_MISUSE" involvement "substance" to "Amara" starting 5 days ago
    Then the response status is 201
    And no field named "organisation" appears anywhere in the response body
    And no provider details of the involvement "substance" appear in the response
    When "Chidi" lists the involvements of "Amara"
    Then the list shows the involvement "substance" in brokered form
    And no provider details of the involvement "substance" appear in the response

  # ---------------------------------------------------------------- SENS-003

  @SENS-003 @positive
  Scenario: The responsible council's management shields and unshields a record
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    When "Meera" shields the record of "Amara" for the reason "ADOPTION" with a review due 180 days from now
    Then the response status is 200
    And the record of "Amara" is shielded for the reason "ADOPTION" with a review due 180 days from now
    When "Meera" unshields the record of "Amara"
    Then the response status is 200
    And the council's management sees the record of "Amara" as unshielded

  @SENS-003 @negative
  Scenario Outline: <who> cannot shield a record
    Given a child "Amara" known to council 202
    And <introduction>
    When "Other" tries to shield the record of "Amara"
    Then the response status is 403
    And the council's management sees the record of "Amara" as unshielded

    Examples:
      | who                          | introduction                                                    |
      | A teacher                    | a practitioner "Other" from the education sector of council 202 |
      | A social worker              | a social worker "Other" of council 202                          |
      | Unscheduled care             | an unscheduled care clinician "Other" of council 202            |
      | Another council's management | a council manager "Other" of council 201                        |

  @SENS-003 @negative
  Scenario Outline: <who> cannot unshield a record
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    And <introduction>
    When "Other" tries to unshield the record of "Amara"
    Then the response status is 403
    And the council's management sees the record of "Amara" as shielded

    Examples:
      | who                          | introduction                                                    |
      | A teacher                    | a practitioner "Other" from the education sector of council 202 |
      | A social worker              | a social worker "Other" of council 202                          |
      | Another council's management | a council manager "Other" of council 201                        |

  @SENS-003 @negative
  Scenario Outline: Shielding without <what> is refused
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    When "Meera" tries to shield the record of "Amara" with:
      | <pointer> | (absent) |
    Then it is refused as invalid at "<pointer>"
    And the council's management sees the record of "Amara" as unshielded

    Examples:
      | what          | pointer     |
      | a reason code | /reasonCode |
      | a review date | /reviewDue  |

  # ---------------------------------------------------------------- SENS-004

  @SENS-004 @positive
  Scenario Outline: <reader> still sees who the child on a shielded record is
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    And <introduction>
    When "Reader" reads the child "Amara"
    Then the response status is 200
    And the response shows the name, gender and date of birth of "Amara"
    And the response field "/shielding/shielded" is true

    Examples:
      | reader                       | introduction                                                     |
      | A teacher                    | a practitioner "Reader" from the education sector of council 202 |
      | Unscheduled care             | an unscheduled care clinician "Reader" of council 202            |

  @SENS-004 @positive
  Scenario: The responsible council's management sees everything on a shielded record
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has set a "CHILD_PROTECTION_PLAN" indicator "plan" on "Amara" starting 30 days ago
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 300 days ago
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    When "Meera" reads the child "Amara"
    Then the response status is 200
    And the response shows the address of "Amara"
    And the record shows the indicator "plan" starting 30 days ago
    When "Meera" lists the involvements of "Amara"
    Then the list shows the involvement "gp" in full

  @SENS-004 @negative
  Scenario Outline: On a shielded record, <reader> sees only who the child is
    Given a child "Amara" known to council 202 with:
      | /formerNames | [{"given": ["Kit"], "family": "Formerly-Synthetic"}] |
    And a social worker "Sam" of council 202
    And "Sam" has set a "CHILD_PROTECTION_PLAN" indicator "plan" on "Amara" starting 30 days ago
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 300 days ago
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    And <introduction>
    When "Reader" reads the child "Amara"
    Then the response shows only the identity of the shielded child "Amara"
    When "Reader" lists the involvements of "Amara"
    Then the response status is 200
    And the list shows the involvement "gp" in brokered form
    And no provider details of the involvement "gp" appear in the response

    Examples:
      | reader                       | introduction                                                     |
      | a teacher                    | a practitioner "Reader" from the education sector of council 202 |
      | a health practitioner        | a practitioner "Reader" from the health sector of council 202    |
      | a social worker              | a social worker "Reader" of council 202                          |
      | unscheduled care             | an unscheduled care clinician "Reader" of council 202            |
      | another council's management | a council manager "Reader" of council 201                        |

  # ---------------------------------------------------------------- SENS-005

  @SENS-005 @positive
  Scenario: An explicit unshield shows the locating details again
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    And a practitioner "Tom" from the education sector of council 202
    When "Tom" reads the child "Amara"
    Then the response shows only the identity of the shielded child "Amara"
    When "Meera" unshields the record of "Amara"
    Then the response status is 200
    When "Tom" reads the child "Amara"
    Then the response shows the address of "Amara"

  @SENS-005 @negative
  Scenario: A shielded record stays shielded after an update
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    When "Meera" records a new address for the shielded child "Amara"
    Then the response status is 200
    And the council's management sees the record of "Amara" as shielded
    Given a practitioner "Tom" from the education sector of council 202
    When "Tom" reads the child "Amara"
    Then the response shows only the identity of the shielded child "Amara"

  @SENS-005 @negative
  Scenario: An update cannot lift a shield
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    When "Meera" tries to lift the shield of "Amara" with an update
    Then the council's management sees the record of "Amara" as shielded
    Given a practitioner "Tom" from the education sector of council 202
    When "Tom" reads the child "Amara"
    Then the response shows only the identity of the shielded child "Amara"

  @SENS-005 @negative
  Scenario: Re-creating a shielded child's record does not shed the shield
    Given a child "Amara" known to council 202
    And a council manager "Meera" of council 202
    And "Meera" has shielded the record of "Amara"
    And a practitioner "Priya" from the health sector of council 202
    When "Priya" tries to create another record with the NHS number of "Amara"
    Then the response status is 409
    And "Priya" finds no unshielded copy of "Amara" by its NHS number
