Feature: Involvements: the services working with a child
  An involvement records that a service works with a child (a school, a GP practice, a health
  visitor, a school nurse, children's social care, youth offending, the police, a voluntary
  organisation, housing, or one of the three sensitive services), so that every practitioner
  can find out who else is involved.

  The rules:
  - INV-001: an involvement needs its service type, the name of the providing organisation, a
    way to contact that organisation (a telephone number or an email address) and a start date.
    An end date, when there is one, is on or after the start date (an involvement may end on
    the day it starts).
  - INV-002: ending an involvement (PATCH /v1/involvements/{id} with If-Match and an endDate)
    keeps it as history: it stays in the child's list with its end date, for everyone who could
    see it before. Nobody can hard-delete an involvement (DELETE gets 405).
  - INV-003: only the organisation that provides the involvement (the `org` claim of whoever
    added it) or the management team of the council responsible for the child may change or end
    it. Anyone else gets 403, and nothing changes.
  - INV-004: a child has at most one current main school and one current GP practice. Adding a
    new one ends the previous one, with the new one's start date as its end date. A school that
    is not the main school leaves the main school alone.

  # ---------------------------------------------------------------- INV-001

  @INV-001 @positive
  Scenario Outline: A complete involvement is accepted and listed (<case>)
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" adds a "<service>" involvement "service" to "Amara" starting 30 days ago with:
      | <left out> | (absent) |
    Then the response status is 201
    When "Gita" lists the involvements of "Amara"
    Then the response status is 200
    And the list shows the involvement "service" starting 30 days ago

    Examples:
      | case                                         | service        | left out                    |
      | no named practitioner                        | GP             | /practitioner               |
      | the organisation's telephone number only     | HEALTH_VISITOR | /organisation/contact/email |
      | the organisation's email address only        | SCHOOL_NURSE   | /organisation/contact/phone |

  @INV-001 @positive
  Scenario: An involvement may end on the day it starts
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" adds a "HEALTH_VISITOR" involvement "visit" to "Amara" starting 40 days ago with:
      | /endDate | 40 days ago |
    Then the response status is 201
    And the response shows the involvement with the end date 40 days ago

  @INV-001 @negative
  Scenario Outline: An involvement without <what> is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" tries to add an involvement to "Amara" with:
      | <first>  | (absent) |
      | <second> | (absent) |
    Then it is refused as invalid at "<pointer>"
    And no involvement is recorded for "Amara"

    Examples:
      | what                                   | first                       | second                      | pointer               |
      | a service type                         | /serviceType                | /serviceType                | /serviceType          |
      | an organisation                        | /organisation               | /organisation               | /organisation         |
      | the organisation's name                | /organisation/name          | /organisation/name          | /organisation/name    |
      | a telephone number or an email address | /organisation/contact/phone | /organisation/contact/email | /organisation/contact |
      | a start date                           | /startDate                  | /startDate                  | /startDate            |

  @INV-001 @negative
  Scenario: An involvement that ends before it starts is refused and nothing is stored
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" tries to add a "GP" involvement to "Amara" with:
      | /startDate | 10 days ago |
      | /endDate   | 20 days ago |
    Then it is refused as invalid with "DATE_ORDER" at "/endDate"
    And no involvement is recorded for "Amara"

  @INV-001 @negative
  Scenario: An involvement cannot be ended before it started
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 10 days ago
    When "Gita" ends the involvement "gp" with the end date 20 days ago
    Then it is refused as invalid with "DATE_ORDER" at "/endDate"
    And the involvement "gp" is still current

  # ---------------------------------------------------------------- INV-002

  @INV-002 @positive
  Scenario: An ended involvement stays in the list as history
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "HEALTH_VISITOR" involvement "visits" to "Amara" starting 90 days ago
    When "Gita" ends the involvement "visits" with the end date 5 days ago
    Then the response status is 200
    When "Gita" lists the involvements of "Amara"
    Then the list shows the involvement "visits" with the end date 5 days ago
    Given a social worker "Sam" of council 202
    When "Sam" lists the involvements of "Amara"
    Then the list shows the involvement "visits" with the end date 5 days ago

  @INV-002 @positive
  Scenario: An involvement recorded as already ended is listed as history
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    When "Gita" adds a "SCHOOL_NURSE" involvement "nurse" to "Amara" starting 2 years ago with:
      | /endDate | 1 year ago |
    Then the response status is 201
    Given a practitioner "Tom" from the education sector of council 202
    When "Tom" lists the involvements of "Amara"
    Then the list shows the involvement "nurse" with the end date 1 year ago

  @INV-002 @negative
  Scenario: A practitioner cannot delete an involvement
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 60 days ago
    When "Gita" tries to delete the involvement "gp"
    Then the deletion is refused
    And the involvement "gp" is still current
    When "Gita" lists the involvements of "Amara"
    Then the list shows the involvement "gp" starting 60 days ago

  # ---------------------------------------------------------------- INV-003

  @INV-003 @positive
  Scenario: Anyone from the providing organisation may end its involvement
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202 at "Synthetic Northgate Medical Practice (TEST)"
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 100 days ago
    And a practitioner "Hal" from the health sector of council 202 at "Synthetic Northgate Medical Practice (TEST)"
    When "Hal" ends the involvement "gp" with the end date yesterday
    Then the response status is 200
    And the response shows the involvement with the end date yesterday

  @INV-003 @positive
  Scenario: The responsible council's management may change and end any involvement
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202 at "Synthetic Northgate Medical Practice (TEST)"
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 100 days ago
    And a council manager "Meera" of council 202
    When "Meera" changes the organisation of the involvement "gp"
    Then the response status is 200
    And the involvement "gp" is recorded with the new organisation
    When "Meera" ends the involvement "gp" with the end date yesterday
    Then the response status is 200
    And the response shows the involvement with the end date yesterday

  @INV-003 @negative
  Scenario Outline: <who> may not change or end another organisation's involvement
    Given a child "Amara" known to council 202
    And a practitioner "Gita" from the health sector of council 202 at "Synthetic Northgate Medical Practice (TEST)"
    And "Gita" has added a "GP" involvement "gp" to "Amara" starting 100 days ago
    And <introduction>
    When "Other" ends the involvement "gp" with the end date yesterday
    Then the response status is 403
    And the involvement "gp" is still current
    When "Other" tries to change the organisation of the involvement "gp"
    Then the response status is 403
    And the organisation of the involvement "gp" is unchanged

    Examples:
      | who                                       | introduction                                                                                               |
      | A teacher                                 | a practitioner "Other" from the education sector of council 202                                            |
      | A health practitioner of another practice | a practitioner "Other" from the health sector of council 202 at "Synthetic Riverside Walk-in Centre (TEST)" |
      | A social worker of the council            | a social worker "Other" of council 202                                                                     |
      | Another council's management              | a council manager "Other" of council 201                                                                   |

  # ---------------------------------------------------------------- INV-004

  @INV-004 @positive
  Scenario Outline: A new <kind> is accepted as the current one
    Given a child "Amara" known to council 202
    And a practitioner "Old" from the <sector> sector of council 202 at "<old provider>"
    And "Old" has added a "<service>" involvement "old" to "Amara" starting 400 days ago
    And a practitioner "New" from the <sector> sector of council 202 at "<new provider>"
    When "New" adds a "<service>" involvement "new" to "Amara" starting 10 days ago
    Then the response status is 201
    And the involvement "new" is current

    Examples:
      | kind        | sector    | service   | old provider                            | new provider                            |
      | GP practice | health    | GP        | Synthetic Northgate Medical Practice (TEST) | Synthetic Southgate Medical Practice (TEST) |
      | main school | education | EDUCATION | Synthetic Oakfield Primary School (TEST)    | Synthetic Elmfield Primary School (TEST)    |

  @INV-004 @positive
  Scenario: A school that is not the main school leaves the main school current
    Given a child "Amara" known to council 202
    And a practitioner "Tom" from the education sector of council 202 at "Synthetic Oakfield Primary School (TEST)"
    And "Tom" has added an "EDUCATION" involvement "main" to "Amara" starting 400 days ago
    And a practitioner "Una" from the education sector of council 202 at "Synthetic Tuition Centre (TEST)"
    When "Una" adds an "EDUCATION" involvement "tuition" to "Amara" starting 10 days ago with:
      | /isMainSchool | false |
    Then the response status is 201
    And the involvement "main" is still current
    And the involvement "tuition" is current

  @INV-004 @negative
  Scenario Outline: A new <kind> ends the previous one on its start date
    Given a child "Amara" known to council 202
    And a practitioner "Old" from the <sector> sector of council 202 at "<old provider>"
    And "Old" has added a "<service>" involvement "old" to "Amara" starting 400 days ago
    And a practitioner "New" from the <sector> sector of council 202 at "<new provider>"
    When "New" adds a "<service>" involvement "new" to "Amara" starting 10 days ago
    Then the response status is 201
    And the involvement "old" is recorded with the end date 10 days ago
    And "Amara" has exactly one current <kind>

    Examples:
      | kind        | sector    | service   | old provider                                | new provider                                |
      | GP practice | health    | GP        | Synthetic Northgate Medical Practice (TEST) | Synthetic Southgate Medical Practice (TEST) |
      | main school | education | EDUCATION | Synthetic Oakfield Primary School (TEST)    | Synthetic Elmfield Primary School (TEST)    |
