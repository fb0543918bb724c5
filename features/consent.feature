Feature: Consent
  A consent is the child's, young person's or parent's agreement, recorded by a practitioner: to
  disclose that a sensitive service is involved (SENSITIVE_SERVICE_DISCLOSURE), or to keep the
  record beyond the 18th birthday (RETAIN_TO_25).

  The rules:
  - CONSENT-001: a consent records its scope, who gave it (CHILD, YOUNG_PERSON or
    PARENT_WITH_PR), the date it was given and who recorded it. The recorder is taken from the
    recorder's token (its `sub`), never from the request. Reading the consent back shows all
    four. Nothing but a withdrawal changes it afterwards: PATCH, PUT and DELETE are refused and
    leave it as it was. It can be withdrawn once; a second withdrawal gets 409
    CONSENT_ALREADY_WITHDRAWN.
  - CONSENT-002: withdrawing the consent behind a sensitive-service involvement (one whose basis
    is CONSENT) immediately hides that involvement, even in brokered form, from everyone but the
    management team of the responsible council. An involvement whose basis is SIGNIFICANT_HARM
    stays.
  - CONSENT-003: a record is archived on the child's 18th birthday; under a current
    RETAIN_TO_25 consent, on the birthday of the consented age instead (19 to 25, never more).
    An archived record reads as ARCHIVED to the council's management and is not visible to
    practitioners.

  # ---------------------------------------------------------------- CONSENT-001

  @CONSENT-001 @positive
  Scenario: A consent records its scope, who gave it, when, and who recorded it
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" records a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara" given by "YOUNG_PERSON" 10 days ago
    Then the response status is 201
    And the response shows the consent "disclosure" as recorded by "Sam"
    When "Sam" reads the consent "disclosure"
    Then the response status is 200
    And the response shows the consent "disclosure" as recorded by "Sam"
    Given a council manager "Meera" of council 202
    When "Meera" reads the consent "disclosure"
    Then the response status is 200
    And the response shows the consent "disclosure" as recorded by "Sam"

  @CONSENT-001 @positive
  Scenario: A consent is withdrawn
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara" given by "PARENT_WITH_PR" 10 days ago
    When "Sam" withdraws the consent "disclosure" with effect from 2 days ago
    Then the response status is 200
    And the consent "disclosure" is recorded as withdrawn with effect from 2 days ago

  @CONSENT-001 @negative
  Scenario: The recorder of a consent is taken from the token, never from the request
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" tries to record a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara" with:
      | /recordedBy | "icscert-someone-else" |
    Then if the consent "disclosure" was recorded, it names "Sam" as its recorder

  @CONSENT-001 @negative
  Scenario Outline: A consent cannot be changed with <method>
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara" given by "YOUNG_PERSON" 10 days ago
    When "Sam" tries to <method> the consent "disclosure"
    Then the change to the consent is refused
    And the consent "disclosure" is unchanged

    Examples:
      | method |
      | PATCH  |
      | PUT    |
      | DELETE |

  @CONSENT-001 @negative
  Scenario: A consent is withdrawn only once
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara" given by "YOUNG_PERSON" 10 days ago
    And "Sam" has withdrawn the consent "disclosure" with effect from 2 days ago
    And a council manager "Meera" of council 202
    When "Meera" tries to withdraw the consent "disclosure" again with effect from today
    Then the response status is 409
    And the response is a problem with code "CONSENT_ALREADY_WITHDRAWN"
    And the consent "disclosure" is recorded as withdrawn with effect from 2 days ago

  # ---------------------------------------------------------------- CONSENT-002

  @CONSENT-002 @positive
  Scenario: A significant-harm involvement stays when the consent behind another is withdrawn
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara"
    And a practitioner "Chidi" from the health sector of council 202
    And "Chidi" has added a "SENSITIVE_SEXUAL_HEALTH" involvement "clinic" to "Amara" starting 5 days ago on the basis of consent "disclosure"
    And "Chidi" has added a "SENSITIVE_SUBSTANCE_MISUSE" involvement "harm" to "Amara" starting 5 days ago with:
      | /disclosureBasis | SIGNIFICANT_HARM |
    And a practitioner "Tom" from the education sector of council 202
    When "Tom" lists the involvements of "Amara"
    Then the list shows the involvement "clinic"
    When "Sam" withdraws the consent "disclosure"
    Then the response status is 200
    When "Tom" lists the involvements of "Amara"
    Then the response status is 200
    And the list shows the involvement "harm"
    Given a council manager "Meera" of council 202
    When "Meera" lists the involvements of "Amara"
    Then the list shows the involvement "clinic" in full
    And the list shows the involvement "harm" in full

  @CONSENT-002 @negative
  Scenario Outline: Once the consent is withdrawn, <reader> no longer sees the involvement it supported
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara"
    And a practitioner "Chidi" from the health sector of council 202
    And "Chidi" has added a "SENSITIVE_SEXUAL_HEALTH" involvement "clinic" to "Amara" starting 5 days ago on the basis of consent "disclosure"
    And <introduction>
    When "Sam" withdraws the consent "disclosure"
    Then the response status is 200
    When "Reader" lists the involvements of "Amara"
    Then the response status is 200
    And the list does not show the involvement "clinic"

    Examples:
      | reader                       | introduction                                                     |
      | a teacher                    | a practitioner "Reader" from the education sector of council 202 |
      | a health practitioner        | a practitioner "Reader" from the health sector of council 202    |
      | a social worker              | a social worker "Reader" of council 202                          |
      | unscheduled care             | an unscheduled care clinician "Reader" of council 202            |
      | another council's management | a council manager "Reader" of council 201                        |

  @CONSENT-002 @negative
  Scenario: Once the consent is withdrawn, the practitioner who recorded the involvement no longer sees it
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "disclosure" for "Amara"
    And a practitioner "Chidi" from the health sector of council 202 at "Synthetic Exampleton Sexual Health Clinic (TEST)"
    And "Chidi" has added a "SENSITIVE_SEXUAL_HEALTH" involvement "clinic" to "Amara" starting 5 days ago on the basis of consent "disclosure"
    When "Sam" withdraws the consent "disclosure"
    Then the response status is 200
    When "Chidi" lists the involvements of "Amara"
    Then the response status is 200
    And the list does not show the involvement "clinic"

  # ---------------------------------------------------------------- CONSENT-003

  @CONSENT-003 @positive
  Scenario: A record is active until the 18th birthday
    Given a child "Zoe" of council 202 who has their 18th birthday in 5 days
    And a council manager "Meera" of council 202
    When "Meera" reads the child "Zoe"
    Then the response status is 200
    And the response field "status" is "ACTIVE"
    Given a practitioner "Tom" from the education sector of council 202
    When "Tom" reads the child "Zoe"
    Then the response status is 200

  @CONSENT-003 @positive
  Scenario: A current RETAIN_TO_25 consent keeps the record active up to the consented age
    Given a child "Ada" of council 202 who had their 18th birthday 10 days ago
    And a council manager "Meera" of council 202
    When "Meera" records a "RETAIN_TO_25" consent "retain" for "Ada" to retain the record to age 21
    Then the response status is 201
    When "Meera" reads the child "Ada"
    Then the response status is 200
    And the response field "status" is "ACTIVE"
    Given a practitioner "Tom" from the education sector of council 202
    When "Tom" reads the child "Ada"
    Then the response status is 200

  @CONSENT-003 @negative
  Scenario: A record is archived at 18
    Given a child "Ada" of council 202 who had their 18th birthday 5 days ago
    And a council manager "Meera" of council 202
    When "Meera" reads the child "Ada"
    Then the response status is 200
    And the response field "status" is "ARCHIVED"
    Given a practitioner "Tom" from the education sector of council 202
    Then "Tom" cannot see the child "Ada"

  @CONSENT-003 @negative
  Scenario: A record kept under a RETAIN_TO_25 consent is archived at the consented age
    Given a child "Ada" of council 202 who had their 21st birthday 10 days ago
    And a council manager "Meera" of council 202
    When "Meera" records a "RETAIN_TO_25" consent "retain" for "Ada" to retain the record to age 21
    And "Meera" reads the child "Ada" for the purpose "S47_ENQUIRY"
    Then the response status is 200
    And the response field "status" is "ARCHIVED"

  @CONSENT-003 @negative
  Scenario: Withdrawing the RETAIN_TO_25 consent archives the record at 18 again
    Given a child "Ada" of council 202 who had their 18th birthday 10 days ago
    And a council manager "Meera" of council 202
    And "Meera" has recorded a "RETAIN_TO_25" consent "retain" for "Ada" to retain the record to age 21
    When "Meera" withdraws the consent "retain"
    Then the response status is 200
    When "Meera" reads the child "Ada"
    Then the response status is 200
    And the response field "status" is "ARCHIVED"
    Given a practitioner "Tom" from the education sector of council 202
    Then "Tom" cannot see the child "Ada"

  @CONSENT-003 @negative
  Scenario: A record cannot be retained beyond the age of 25
    Given a child "Ada" of council 202 who had their 17th birthday 10 days ago
    And a council manager "Meera" of council 202
    When "Meera" tries to record a "RETAIN_TO_25" consent "retain" for "Ada" to retain the record to age 26
    Then it is refused as invalid at "/retainToAge"
