Feature: Indicators: flags on a child's record
  Indicators tell practitioners, at a glance, who leads the work with a child and whether there
  is something to know, without carrying any case content. Protection indicators (a child
  protection plan, being looked after, an unborn child protection plan) are tier T5: social
  workers, unscheduled care and the council's management team see them.

  The rules:
  - FLAG-001: a child has at most one active LEAD_PROFESSIONAL. Setting a new one ends the old
    one: the old indicator gets an end date, and only one is left without an end date (or with
    one in the future).
  - FLAG-002: CAF_UNDERTAKEN records only the date and the involvement that undertook the
    assessment, never assessment content: any other field (a summary, the assessment, its
    outcome, or a field of another indicator type) is refused with 422 UNKNOWN_PROPERTY, and
    nothing is stored.
  - FLAG-003: CHILD_PROTECTION_PLAN (with a category: NEG, PHY, SAB, EMO or MUL) and
    LOOKED_AFTER (with a legal status code such as C2 or V2) need a start date and may have an
    end date on or after it. They are visible to the authorised roles while active and for 12
    months after they end; after that only the responsible council's management sees them.
    Unknown category and legal status codes are refused with 422 UNKNOWN_CODE.
  - FLAG-004: an UNBORN_CHILD_PROTECTION_PLAN sits on the mother's record with the expected
    date of birth, and after the birth is linked to the child's record (PATCH with
    linkedChildId). Without an expected date of birth it is refused.
  - FLAG-005: HAS_INFORMATION_TO_SHARE shows only whom to contact and when it was raised: any
    other field (details, the concern itself, a summary) is refused with 422 UNKNOWN_PROPERTY,
    and nothing is stored.

  # ---------------------------------------------------------------- FLAG-001

  @FLAG-001 @positive
  Scenario: A practitioner becomes the child's lead professional
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "HEALTH_VISITOR" involvement "visits" to "Amara" starting 60 days ago
    When "Gita" sets a "LEAD_PROFESSIONAL" indicator "lead" on "Amara" for the involvement "visits"
    Then the response status is 201
    When "Gita" reads the child "Amara"
    Then the record shows the indicator "lead" as current
    And the record shows exactly one current "LEAD_PROFESSIONAL" indicator

  @FLAG-001 @negative
  Scenario: Setting a new lead professional ends the previous one
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "HEALTH_VISITOR" involvement "visits" to "Amara" starting 60 days ago
    And "Gita" has set a "LEAD_PROFESSIONAL" indicator "first" on "Amara" for the involvement "visits" starting 30 days ago
    And a practitioner "Tom" from the education sector of council 202
    And "Tom" has added an "EDUCATION" involvement "school" to "Amara" starting 60 days ago
    When "Tom" sets a "LEAD_PROFESSIONAL" indicator "second" on "Amara" for the involvement "school"
    Then the response status is 201
    Given a council manager "Meera" of council 202
    When "Meera" reads the child "Amara"
    Then the record shows the indicator "first" as ended
    And the record shows the indicator "second" as current
    And the record shows exactly one current "LEAD_PROFESSIONAL" indicator

  # ---------------------------------------------------------------- FLAG-002

  @FLAG-002 @positive
  Scenario: A CAF is recorded as a date and the involvement only
    Given a child "Amara" known to council 202
    And a practitioner "Tom" from the education sector of council 202
    And "Tom" has added an "EDUCATION" involvement "school" to "Amara" starting 200 days ago
    When "Tom" sets a "CAF_UNDERTAKEN" indicator "caf" on "Amara" for the involvement "school" starting 7 days ago
    Then the response status is 201
    When "Tom" reads the child "Amara"
    Then the record shows the indicator "caf" starting 7 days ago
    And the indicator "caf" on the record has "/involvementId" set to "{involvement:school}"
    And the indicator "caf" on the record has none of the fields "summary", "assessment", "outcome", "notes", "category", "legalStatus" and "contact"

  @FLAG-002 @negative
  Scenario Outline: A CAF carrying <content> is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a practitioner "Tom" from the education sector of council 202
    And "Tom" has added an "EDUCATION" involvement "school" to "Amara" starting 200 days ago
    When "Tom" tries to set a "CAF_UNDERTAKEN" indicator "caf" on "Amara" for the involvement "school" with:
      | <field> | <value> |
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_PROPERTY"
    And no "CAF_UNDERTAKEN" indicator is recorded for "Amara"

    Examples:
      | content                         | field       | value                                                                                            |
      | an assessment summary           | /summary    | "Parenting capacity assessed: concerns about neglect (TEST)"                                     |
      | the assessment itself           | /assessment | {"domain": "Health", "needs": "Missed immunisations (TEST)"}                                     |
      | the outcome                     | /outcome    | "Referred to early help (TEST)"                                                                  |
      | a child protection category     | /category   | "NEG"                                                                                            |
      | a contact, as information sharing does | /contact | {"name": "Duty Desk (TEST)", "organisation": "Synthetic Hub (TEST)", "phone": "01632 960400"} |

  # ---------------------------------------------------------------- FLAG-003

  @FLAG-003 @positive
  Scenario Outline: An active <type> is visible to <reader>
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" sets a "<type>" indicator "plan" on "Amara" starting 60 days ago
    Then the response status is 201
    Given <introduction>
    When "Reader" reads the child "Amara"
    Then the response status is 200
    And the record shows the indicator "plan" starting 60 days ago

    Examples:
      | type                  | reader                                   | introduction                                             |
      | CHILD_PROTECTION_PLAN | a social worker of another council       | a social worker "Reader" of council 201                  |
      | LOOKED_AFTER          | unscheduled care                         | an unscheduled care clinician "Reader" of council 202    |
      | CHILD_PROTECTION_PLAN | the responsible council's management     | a council manager "Reader" of council 202                |

  @FLAG-003 @positive
  Scenario Outline: A <type> that ended less than 12 months ago is still visible
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" sets a "<type>" indicator "plan" on "Amara" starting 2 years ago with:
      | /endDate | 200 days ago |
    Then the response status is 201
    Given an unscheduled care clinician "Nia" of council 202
    When "Nia" reads the child "Amara"
    Then the record shows the indicator "plan" starting 2 years ago
    And the indicator "plan" on the record has "/endDate" set to "200 days ago"

    Examples:
      | type                  |
      | CHILD_PROTECTION_PLAN |
      | LOOKED_AFTER          |

  @FLAG-003 @positive
  Scenario: A child protection plan may end on the day it starts
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" sets a "CHILD_PROTECTION_PLAN" indicator "plan" on "Amara" starting 30 days ago with:
      | /endDate | 30 days ago |
    Then the response status is 201

  @FLAG-003 @negative
  Scenario Outline: A <type> that ended more than 12 months ago is hidden from all but the council's management
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    And "Sam" has set a "<type>" indicator "plan" on "Amara" starting 3 years ago with:
      | /endDate | 400 days ago |
    When "Sam" reads the child "Amara"
    Then the response status is 200
    And the record does not show the indicator "plan"
    Given an unscheduled care clinician "Nia" of council 202
    When "Nia" reads the child "Amara"
    Then the response status is 200
    And the record does not show the indicator "plan"
    Given a council manager "Meera" of council 202
    When "Meera" reads the child "Amara"
    Then the record shows the indicator "plan" starting 3 years ago

    Examples:
      | type                  |
      | CHILD_PROTECTION_PLAN |
      | LOOKED_AFTER          |

  @FLAG-003 @negative
  Scenario Outline: A <type> that ends before it starts is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" tries to set a "<type>" indicator "plan" on "Amara" starting 30 days ago with:
      | /endDate | 60 days ago |
    Then it is refused as invalid with "DATE_ORDER" at "/endDate"
    And no "<type>" indicator is recorded for "Amara"

    Examples:
      | type                  |
      | CHILD_PROTECTION_PLAN |
      | LOOKED_AFTER          |

  @FLAG-003 @negative
  Scenario Outline: A <type> without <what> is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" tries to set a "<type>" indicator "plan" on "Amara" with:
      | <pointer> | (absent) |
    Then it is refused as invalid at "<pointer>"
    And no "<type>" indicator is recorded for "Amara"

    Examples:
      | type                  | what              | pointer      |
      | CHILD_PROTECTION_PLAN | a start date      | /startDate   |
      | CHILD_PROTECTION_PLAN | a category        | /category    |
      | LOOKED_AFTER          | a start date      | /startDate   |
      | LOOKED_AFTER          | a legal status    | /legalStatus |

  @FLAG-003 @negative
  Scenario Outline: A <type> with an unknown <what> is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a social worker "Sam" of council 202
    When "Sam" tries to set a "<type>" indicator "plan" on "Amara" with:
      | <pointer> | "<code>" |
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_CODE"
    And no "<type>" indicator is recorded for "Amara"

    Examples:
      | type                  | what         | pointer      | code |
      | CHILD_PROTECTION_PLAN | category     | /category    | XYZ  |
      | LOOKED_AFTER          | legal status | /legalStatus | Z9   |

  # ---------------------------------------------------------------- FLAG-004

  @FLAG-004 @positive
  Scenario: An unborn child protection plan on the mother's record is linked to the baby after birth
    Given a child "Maya" of council 202 who had their 16th birthday 100 days ago
    And a social worker "Sam" of council 202
    When "Sam" sets an "UNBORN_CHILD_PROTECTION_PLAN" indicator "unborn" on "Maya" starting 60 days ago with:
      | /expectedDateOfBirth | 30 days from now |
    Then the response status is 201
    When "Sam" reads the child "Maya"
    Then the record shows the indicator "unborn" starting 60 days ago
    And the indicator "unborn" on the record has "/expectedDateOfBirth" set to "30 days from now"
    Given a child "Bea" of council 202 born yesterday
    When "Sam" links the indicator "unborn" to the child "Bea"
    Then the response status is 200
    When "Sam" reads the child "Maya"
    Then the record shows the indicator "unborn" starting 60 days ago
    And the indicator "unborn" on the record has "/linkedChildId" set to "{child:Bea}"

  @FLAG-004 @negative
  Scenario: An unborn child protection plan without an expected date of birth is refused
    Given a child "Maya" of council 202 who had their 16th birthday 100 days ago
    And a social worker "Sam" of council 202
    When "Sam" tries to set an "UNBORN_CHILD_PROTECTION_PLAN" indicator "unborn" on "Maya" starting 60 days ago with:
      | /expectedDateOfBirth | (absent) |
    Then it is refused as invalid at "/expectedDateOfBirth"
    And no "UNBORN_CHILD_PROTECTION_PLAN" indicator is recorded for "Maya"

  # ---------------------------------------------------------------- FLAG-005

  @FLAG-005 @positive
  Scenario: Information to share shows whom to contact and since when
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" sets a "HAS_INFORMATION_TO_SHARE" indicator "info" on "Amara" starting 3 days ago with:
      | /contact | {"name": "Gita Example (TEST)", "organisation": "Synthetic Northgate Medical Practice (TEST)", "phone": "01632 960555"} |
    Then the response status is 201
    Given a practitioner "Tom" from the education sector of council 202
    When "Tom" reads the child "Amara"
    Then the record shows the indicator "info" starting 3 days ago
    And the indicator "info" on the record has "/contact/name" set to "Gita Example (TEST)"
    And the indicator "info" on the record has "/contact/organisation" set to "Synthetic Northgate Medical Practice (TEST)"
    And the indicator "info" on the record has "/contact/phone" set to "01632 960555"
    And the indicator "info" on the record has none of the fields "details", "concern", "summary", "notes", "category" and "legalStatus"

  @FLAG-005 @negative
  Scenario Outline: Information to share carrying <content> is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" tries to set a "HAS_INFORMATION_TO_SHARE" indicator "info" on "Amara" with:
      | <field> | <value> |
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_PROPERTY"
    And no "HAS_INFORMATION_TO_SHARE" indicator is recorded for "Amara"

    Examples:
      | content                  | field     | value                                                          |
      | the details              | /details  | "Disclosed bruising during a home visit (TEST)"                |
      | the concern              | /concern  | {"kind": "Neglect", "raisedBy": "Health visitor (TEST)"}        |
      | a summary                | /summary  | "Mother reports domestic abuse (TEST)"                         |
      | a child protection category | /category | "PHY"                                                       |

  @FLAG-005 @negative
  Scenario: Information to share without whom to contact is refused
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" tries to set a "HAS_INFORMATION_TO_SHARE" indicator "info" on "Amara" with:
      | /contact | (absent) |
    Then it is refused as invalid at "/contact"
    And no "HAS_INFORMATION_TO_SHARE" indicator is recorded for "Amara"
