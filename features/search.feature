Feature: Searching for a child
  Practitioners find a child's record by an identifier or by a few demographic facts, never by
  trawling.

  A search by a verified NHS number or UPN (SEARCH-001) returns at most one active record; a
  record merged into another is found as its survivor. A demographic search (SEARCH-002) needs a
  family name, a date of birth (exact, or a range of at most one year: 366 days) and at least
  one of given name, gender or postcode; anything less gets 400 INSUFFICIENT_SEARCH_CRITERIA.
  Names are compared ignoring case, accents, apostrophes, hyphens and spaces, and former names
  count (SEARCH-003). When more records match than maxResults (1 to 20, default 20), the search
  gets 422 TOO_MANY_MATCHES and returns no records (SEARCH-004).

  A shielded record still appears in results, but to everyone except the responsible council's
  management it shows identity only: id, version, status, name, gender, date of birth, the
  names and relationships of parents and carers, and the fact that it is shielded. A postcode
  never finds a shielded record for a caller who may not see its address (SEARCH-005).
  Practitioners never find archived (18 and over), purged or new-identity-superseded records
  (SEARCH-006).

  @SEARCH-001 @positive
  Scenario Outline: A search by <identifier> finds the one child who holds it
    Given <searcher>
    And a child "Ada" known to council 202
    When they search by the <identifier> of the child "Ada"
    Then the search finds only the child "Ada"

    Examples:
      | identifier | searcher                                                 |
      | NHS number | a practitioner from the health sector of council 202    |
      | UPN        | a practitioner from the education sector of council 202 |
      | NHS number | a council manager of council 202                         |

  @SEARCH-001 @negative
  Scenario Outline: A search by an identifier of a merged record finds only the survivor (<identifier>)
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    And a child "Bea" known to council 202
    When "Mo" merges the child "Bea" into the child "Ada"
    Then the response status is 200
    Given <searcher>
    When they search by the <identifier> of the child "Bea"
    Then the search finds only the child "Ada"
    When they search by the <identifier> of the child "Ada"
    Then the search finds only the child "Ada"

    Examples:
      | identifier | searcher                                                 |
      | NHS number | a practitioner from the health sector of council 202    |
      | UPN        | a practitioner from the education sector of council 202 |

  @SEARCH-002 @positive
  Scenario Outline: A demographic search with enough criteria works: <criteria>
    Given a practitioner from the education sector of council 202
    And a child "Ada" known to council 202 with:
      | /name/given  | ["Adaeze", "Grace"] |
    When they search for the child "Ada" by <criteria>
    Then the search finds the child "Ada"

    Examples:
      | criteria                                                         |
      | family name, date of birth and given name                        |
      | family name, date of birth and gender                            |
      | family name, date of birth and postcode                          |
      | family name, a date-of-birth range of 200 days and given name    |
      | family name, a date-of-birth range of 366 days and gender        |

  @SEARCH-002 @negative
  Scenario Outline: A demographic search without enough criteria is refused: <why>
    Given a practitioner from the education sector of council 202
    And a child "Ada" known to council 202 with:
      | /name/family | "Okafor-Lindqvist"  |
      | /name/given  | ["Adaeze", "Grace"] |
      | /dateOfBirth | "2016-06-15"        |
    When they search for the child "Ada" by <criteria>
    Then the response status is 400
    And the response is a problem with code "INSUFFICIENT_SEARCH_CRITERIA"
    And the response carries no child records

    Examples:
      | criteria                                                      | why                           |
      | date of birth and given name                                  | no family name                |
      | date of birth, gender and postcode                            | no family name                |
      | family name and given name                                    | no date of birth              |
      | family name, given name, gender and postcode                  | no date of birth              |
      | family name, a date-of-birth range of 367 days and given name | a range longer than a year    |
      | family name, a date-of-birth range of 2 years and gender      | a range of two years          |
      | family name and date of birth                                 | no given name, gender or postcode |

  @SEARCH-003 @positive
  Scenario Outline: Names match whatever their case, accents, apostrophes, hyphens and spaces (<family> as <searched>)
    Given a practitioner from the health sector of council 202
    And a child "Zoe" known to council 202 with:
      | /name/family | "<family>" |
      | /name/given  | ["<given>"] |
    When they search for the child "Zoe" by "<searched>" as family name, date of birth and "<searched given>" as given name
    Then the search finds the child "Zoe"

    Examples:
      | family                                        | given    | searched                                      | searched given |
      | O'Connor-Hughes                               | Zoë      | oconnor hughes                                | zoe            |
      | O’Connor-Hughes                               | Zoë      | O CONNOR HUGHES                               | ZOË            |
      | Ní Bhriain                                    | Siobhán  | nibhriain                                     | siobhan        |
      | van der Berg                                  | Aïsha    | Van-Der-Berg                                  | aisha          |
      | Nguyễn                                        | Thảo     | nguyen                                        | thao           |
      | Müller-Lüdenscheidt                           | Jürgen   | mullerludenscheidt                            | jurgen         |
      | Fairweather-Montgomery-Oyelaran-Abernethy-Kaur | Ngozi   | fairweather montgomery oyelaran abernethy kaur | ngozi         |

  @SEARCH-003 @positive
  Scenario: A former name finds the child
    Given a practitioner from the health sector of council 202
    And a child "Ada" known to council 202 with:
      | /formerNames | [{"given": ["Adaeze"], "family": "D'Souza-Ñúñez"}] |
    When they search for the child "Ada" by "dsouza nunez" as family name, date of birth and gender
    Then the search finds the child "Ada"
    When they search for the child "Ada" by its former family name, date of birth and gender
    Then the search finds the child "Ada"

  @SEARCH-003 @negative
  Scenario Outline: Only case, accents, apostrophes, hyphens and spaces are ignored: other letters count (<searched>)
    Given a practitioner from the health sector of council 202
    And a child "Zoe" known to council 202 with:
      | /name/family | "O'Connor-Hughes" |
    When they search for the child "Zoe" by "<searched>" as family name, date of birth and gender
    Then the search does not find the child "Zoe"

    Examples:
      | searched      |
      | Okafor        |
      | Connor-Hughes |

  @SEARCH-004 @negative
  Scenario: More matches than maxResults are refused without records
    Given a practitioner from the education sector of council 202
    And 3 children "Tri" known to council 202 share a family name, a date of birth and a gender
    When they search for the child "Tri 1" by family name, date of birth and gender with at most 2 results
    Then the response status is 422
    And the response is a problem with code "TOO_MANY_MATCHES"
    And the response carries no child records

  @SEARCH-004 @negative
  Scenario: More matches than the default maximum of 20 are refused without records
    Given a practitioner from the education sector of council 202
    And 21 children "Many" known to council 202 share a family name, a date of birth and a gender
    When they search for the child "Many 1" by family name, date of birth and gender
    Then the response status is 422
    And the response is a problem with code "TOO_MANY_MATCHES"
    And the response carries no child records

  @SEARCH-004 @positive
  Scenario: As many matches as maxResults are returned
    Given a practitioner from the education sector of council 202
    And 3 children "Tri" known to council 202 share a family name, a date of birth and a gender
    When they search for the child "Tri 1" by family name, date of birth and gender with at most 3 results
    Then the search finds all 3 children "Tri"

  @SEARCH-004 @positive
  Scenario: As many matches as the default maximum of 20 are returned
    Given a practitioner from the education sector of council 202
    And 20 children "Many" known to council 202 share a family name, a date of birth and a gender
    When they search for the child "Many 1" by family name, date of birth and gender
    Then the search finds all 20 children "Many"

  @SEARCH-005 @positive
  Scenario Outline: A shielded record still appears in results (<by>)
    Given <searcher>
    And a child "Ada" known to council 202
    And the child "Ada" is shielded by its council
    When <search>
    Then the search finds the child "Ada"
    And the result for "Ada" shows its identity and that it is shielded

    Examples:
      | by           | searcher                                                 | search                                                                           |
      | NHS number   | a practitioner from the health sector of council 202    | they search by the NHS number of the child "Ada"                                 |
      | UPN          | a practitioner from the education sector of council 202 | they search by the UPN of the child "Ada"                                        |
      | demographics | a practitioner from the education sector of council 202 | they search for the child "Ada" by family name, date of birth and given name |

  @SEARCH-005 @negative
  Scenario Outline: A shielded record shows nothing beyond identity in results (<searcher>)
    Given <searcher>
    And a child "Ada" known to council 202
    And the child "Ada" is shielded by its council
    When <search>
    Then the search finds the child "Ada"
    And the result for "Ada" shows nothing beyond identity
    When they search for the child "Ada" by family name, date of birth and gender
    Then the search finds the child "Ada"
    And the result for "Ada" shows nothing beyond identity

    Examples:
      | searcher                                                 | search                                                                       |
      | a practitioner from the health sector of council 202    | they search by the NHS number of the child "Ada"                             |
      | a practitioner from the education sector of council 202 | they search by the UPN of the child "Ada"                                    |
      | an unscheduled care clinician of council 202             | they search by the NHS number of the child "Ada"                             |
      | a social worker of council 202                           | they search for the child "Ada" by family name, date of birth and given name |
      | a council manager of council 201                         | they search for the child "Ada" by family name, date of birth and given name |

  @SEARCH-005 @negative
  Scenario: A postcode never finds a shielded record for a practitioner
    Given a practitioner from the education sector of council 202
    And a child "Ada" known to council 202
    And the child "Ada" is shielded by its council
    When they search for the child "Ada" by family name, date of birth and postcode
    Then the search does not find the child "Ada"

  @SEARCH-006 @positive
  Scenario: Practitioners find a 17-year-old's active record
    Given a practitioner from the health sector of council 202
    And a child "Teo" known to council 202 whose 17th birthday was 2 months ago
    When they search by the NHS number of the child "Teo"
    Then the search finds only the child "Teo"
    When they search for the child "Teo" by family name, date of birth and given name
    Then the search finds the child "Teo"

  @SEARCH-006 @negative
  Scenario Outline: Practitioners never find <what> records
    Given a practitioner from the health sector of council 202
    And a child "Old" known to council 202 whose 18th birthday was <when> ago
    When they search by the NHS number of the child "Old"
    Then the search does not find the child "Old"
    When they search for the child "Old" by family name, date of birth and gender
    Then the search does not find the child "Old"

    Examples:
      | what                                 | when     |
      | recently archived                    | 2 months |
      | archived (more than a year)          | 3 years  |
      | purged (archived more than six years) | 7 years  |
