Feature: Reading a child's record
  A record is read with GET /v1/children/{id} (READ-001). It comes back with its version, and a
  strong ETag that is that version in quotes. An id the system never issued gets 404 NOT_FOUND;
  a record purged six years after it was archived gets 410 GONE.

  What a caller sees depends on their role and sector (READ-002). Identity and locating details
  (name, date of birth, address, ...) go to every role that may read. The NHS number goes only to
  the health sector and unscheduled care, the UPN only to the education sector. Protection status
  such as a child protection plan goes only to social workers, unscheduled care and the responsible
  council's management, which sees everything. Another council's management sees what a
  practitioner sees. The provider and practitioner of a sensitive service (sexual health, mental
  health, substance misuse) are shown only to the responsible council's management. Auditors and
  peer systems may not read or search records at all (403).

  Records hold no case content (READ-003): no notes, assessments, medical data or exam results.
  A request that offers such content is refused, and nothing of it is ever returned.

  Dates are calendar dates YYYY-MM-DD and come back exactly as sent, never moved across time
  zones; names come back byte for byte in UTF-8, with their diacritics, apostrophes and hyphens,
  however long they are; gender codes come back as sent (READ-004). An impossible date or a date
  in another format is refused rather than reinterpreted.

  @READ-001 @positive
  Scenario: A record comes back with its version and a matching ETag, before and after a change
    Given a council manager "Mo" of council 202
    And a practitioner "Priya" from the education sector of council 202
    And a child "Ada" known to council 202
    When "Mo" reads the child "Ada"
    Then the response status is 200
    And the response is the record of the child "Ada"
    And the response header "ETag" matches the record version
    When "Priya" reads the child "Ada"
    Then the response status is 200
    And the response is the record of the child "Ada"
    And the response header "ETag" matches the record version
    When "Mo" renames the child "Ada"
    Then the response status is 200
    When "Priya" reads the child "Ada"
    Then the response status is 200
    And the response header "ETag" matches the record version

  @READ-001 @negative
  Scenario Outline: An id the system never issued is not found (<reader>)
    Given <reader>
    When they read a child that does not exist
    Then the response status is 404
    And the response is a problem with code "NOT_FOUND"

    Examples:
      | reader                                                  |
      | a practitioner from the education sector of council 202 |
      | a council manager of council 202                        |

  @READ-001 @negative
  Scenario: A purged record is gone
    Given a council manager "Mo" of council 202
    And a child "Old" known to council 202 whose 18th birthday was 7 years ago
    When "Mo" reads the child "Old"
    Then the response status is 410
    And the response is a problem with code "GONE"

  @READ-002 @positive
  Scenario Outline: Each role sees what the tier table grants it (<reader>)
    Given a child "Kai" known to council 202
    And the child "Kai" has a CHILD_PROTECTION_PLAN indicator on record
    And <reader>
    When they read the child "Kai"
    Then the response status is 200
    And the record discloses the <seen> of "Kai"

    Examples:
      | reader                                                  | seen                                               |
      | a practitioner from the education sector of council 202 | UPN and address                                    |
      | a practitioner from the health sector of council 202    | NHS number and address                             |
      | a practitioner from the police sector of council 201    | address                                            |
      | a social worker of council 202                          | child protection plan and address                  |
      | an unscheduled care clinician of council 201            | NHS number, child protection plan and address      |
      | a council manager of council 202                        | NHS number, UPN, child protection plan and address |
      | a council manager of council 201                        | address                                            |

  @READ-002 @negative
  Scenario Outline: Each role is refused what the tier table withholds from it (<reader>)
    Given a child "Kai" known to council 202
    And the child "Kai" has a CHILD_PROTECTION_PLAN indicator on record
    And <reader>
    When they read the child "Kai"
    Then the response status is 200
    And the record withholds the <withheld> of "Kai"

    Examples:
      | reader                                                  | withheld                                                     |
      | a practitioner from the education sector of council 202 | NHS number, child protection plan and archive details        |
      | a practitioner from the health sector of council 202    | UPN, child protection plan and archive details               |
      | a practitioner from the police sector of council 201    | NHS number, UPN, child protection plan and archive details   |
      | a social worker of council 202                          | NHS number, UPN and archive details                          |
      | an unscheduled care clinician of council 201            | UPN and archive details                                      |
      | a council manager of council 201                        | NHS number, UPN, child protection plan and archive details   |

  @READ-002 @positive
  Scenario Outline: The providers of services are shown to the roles the tier table allows (<reader>, <service>)
    Given a child "Kai" known to council 202
    And the child "Kai" has a <service> involvement on record
    And <reader>
    When they read the involvements of the child "Kai"
    Then the involvement list discloses the provider of the <service> involvement of "Kai"

    Examples:
      | reader                                                  | service                 |
      | a practitioner from the education sector of council 202 | HEALTH_VISITOR          |
      | a council manager of council 202                        | SENSITIVE_MENTAL_HEALTH |

  @READ-002 @negative
  Scenario Outline: The provider of a sensitive service is withheld from everyone but the council's management (<reader>)
    Given a child "Kai" known to council 202
    And the child "Kai" has a SENSITIVE_MENTAL_HEALTH involvement on record
    And <reader>
    When they read the involvements of the child "Kai"
    Then the involvement list withholds the provider of the SENSITIVE_MENTAL_HEALTH involvement of "Kai"

    Examples:
      | reader                                                  |
      | a practitioner from the health sector of council 202    |
      | a social worker of council 202                          |
      | an unscheduled care clinician of council 201            |
      | a council manager of council 201                        |

  @READ-002 @negative
  Scenario Outline: Roles that may not read records are refused (<reader>)
    Given <reader>
    And a child "Kai" known to council 202
    When they read the child "Kai"
    Then the response status is 403
    And the response is a problem with code "FORBIDDEN"
    When they search for the child "Kai" by family name, date of birth and gender
    Then the response status is 403
    And the response is a problem with code "FORBIDDEN"

    Examples:
      | reader                     |
      | an auditor of council 202  |
      | a peer system of council 202 |

  @READ-003 @positive
  Scenario: A full record carries no case content
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    And the child "Ada" has a HEALTH_VISITOR involvement on record
    And the child "Ada" has a HAS_INFORMATION_TO_SHARE indicator on record
    And the child "Ada" has a CHILD_PROTECTION_PLAN indicator on record
    When "Mo" reads the child "Ada"
    Then the response status is 200
    And no case content appears in the record

  @READ-003 @negative
  Scenario Outline: Case content offered with a new record is refused (<member>)
    Given a council manager "Mo" of council 202
    When they try to create a child "Cas" with case content in "<member>"
    Then the response status is 422
    And the problem reports "<member>" as an unknown property
    And no child "Cas" was created

    Examples:
      | member         |
      | notes          |
      | assessment     |
      | medicalHistory |
      | examResults    |

  @READ-003 @negative
  Scenario Outline: Case content offered in an update is refused and never stored (<member>)
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    When "Mo" tries to add case content in "<member>" to the child "Ada"
    Then the response status is 422
    When "Mo" reads the child "Ada"
    Then the response status is 200
    And no case content appears in the record

    Examples:
      | member     |
      | notes      |
      | assessment |

  @READ-004 @positive
  Scenario Outline: Names, dates and gender codes come back exactly as sent (<case>)
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202 with:
      | /name/given  | <given>  |
      | /name/family | <family> |
      | /dateOfBirth | <dob>    |
      | /gender      | <gender> |
    When "Mo" reads the child "Ada"
    Then the response status is 200
    And the record gives back the name, date of birth and gender "Ada" was created with
    And the record gives back the names of the parents and carers of "Ada"

    Examples:
      | case                            | given                    | family                                            | dob          | gender        |
      | diacritics                      | ["Zoë", "Siobhán"]       | "Ní Bhriain"                                      | "2024-02-29" | FEMALE        |
      | apostrophe and hyphen           | ["Seán"]                 | "O'Connor-Hughes"                                 | "2020-02-29" | MALE          |
      | typographic apostrophe          | ["Chloé"]                | "D’Souza"                                         | "2023-12-31" | NOT_KNOWN     |
      | a family name over 35 letters   | ["Ngozi", "Anne-Marie"]  | "Fairweather-Montgomery-Oyelaran-Abernethy-Kaur"  | "2022-01-01" | NOT_SPECIFIED |
      | a single-word name              | (absent)                 | "Ng"                                              | "2019-12-31" | FEMALE        |
      | letters outside Latin-1         | ["Thảo", "Łucja"]        | "Nguyễn-Wiśniewska"                               | "2021-06-30" | FEMALE        |
      | spaces inside the family name   | ["Aïsha"]                | "van der Berg"                                    | "2018-03-01" | FEMALE        |

  @READ-004 @negative
  Scenario Outline: A date that is not a calendar date YYYY-MM-DD is refused, not reinterpreted (<dob>)
    Given a council manager "Mo" of council 202
    When they try to create a child "Dot" with the date of birth "<dob>"
    Then the response status is 422
    And the problem flags the date of birth
    And no child "Dot" was created

    Examples:
      | dob                  |
      | 2023-02-29           |
      | 2019-13-01           |
      | 2019-04-31           |
      | 31/12/2019           |
      | 12/31/2019           |
      | 20191231             |
      | 2019-12-31T23:30:00Z |
