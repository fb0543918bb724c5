Feature: Identity and matching of children
  Every child is known by the sector identifiers of the national schemes, which a system must
  check exactly as the schemes define them, and by an id that the system gives the record.

  NHS numbers (ID-001) have 10 digits; spaces are ignored when they are sent and never stored.
  Digits 1 to 9 are multiplied by 10, 9, 8 ... 2 and added up to S; C = 11 - (S mod 11). C = 11
  means the check digit is 0, C = 10 means that no NHS number starts with those nine digits, and
  otherwise the tenth digit must equal C. Anything else is refused with 422 INVALID_NHS_NUMBER
  pointing at the identifier, and nothing is created.

  A Unique Pupil Number (ID-002) has 13 characters: a check letter, the DfE code of the issuing
  council, a 4-digit establishment number, a 2-digit year and a 3-digit serial (a temporary UPN
  has two digits and a letter other than I, O and S as its serial). The check letter is
  ABCDEFGHJKLMNPQRTUVWXYZ[S mod 23], with S the sum of position times value over positions 2
  to 13 (a letter in position 13 counts as its place in that table). A UPN failing any of these
  rules is refused with 422 INVALID_UPN.

  Council codes (ID-003) come from the reference list: an unknown code is refused with 422
  INVALID_LA_CODE, and a council that no longer exists cannot take responsibility for a child
  (422 LA_TERMINATED, naming its successors), although it stays valid in history: a UPN it
  issued is still valid and the reference list still shows it.

  A child's id (ID-004) is opaque: it encodes no council, date of birth, identifier, name or
  sequence, never changes and is never reused. Creating a record whose verified NHS number or
  UPN already belongs to an active record (ID-005) is refused with 409 DUPLICATE_CANDIDATE
  naming the existing record; unverified identifiers do not block a create.

  Two records of one child are merged (ID-006) by the responsible council's management team:
  the survivor holds the union of identifiers, former names, involvements and indicators; the
  merged record reads as MERGED with mergedInto naming the survivor; if either was shielded,
  the survivor is. A superseded NHS number (ID-007) still finds the child, shown as SUPERSEDED.

  @ID-001 @positive
  Scenario: An NHS number sent with spaces is accepted and stored without them
    Given a council manager "Mo" of council 202
    When they create a child "Nia" whose NHS number is written with spaces
    Then the response status is 201
    And the record of "Nia" holds its NHS number as sent, without spaces and in capitals

  @ID-001 @positive
  Scenario: An NHS number whose check digit is 0 (C = 11) is accepted
    Given a council manager "Mo" of council 202
    When they create a child "Ola" whose NHS number has the check digit 0
    Then the response status is 201
    And the record of "Ola" holds its NHS number as sent, without spaces and in capitals

  @ID-001 @negative
  Scenario Outline: An NHS number that is not 10 digits passing modulus 11 is refused: <why>
    Given a council manager "Mo" of council 202
    When they try to create a child "Nia" with the NHS number "<nhs>"
    Then the response status is 422
    And the response is a problem with code "INVALID_NHS_NUMBER"
    And the problem flags the NHS number with "INVALID_NHS_NUMBER"
    And no child "Nia" was created

    Examples:
      | nhs           | why                                                  |
      | 9876544321    | the widely copied example fails the check            |
      | 9990000019    | the check digit is wrong (9990000018 is valid)       |
      | 9991234560    | C = 10: no number starting 999123456 is valid        |
      | 9991234565    | C = 10: no number starting 999123456 is valid        |
      | 9991234569    | C = 10: no number starting 999123456 is valid        |
      | 999000001     | nine digits                                          |
      | 99900000180   | eleven digits                                        |
      | 999000001A    | a letter                                             |
      | 999-000-0018  | hyphens are not spaces                               |
      | ９９９0000018 | full-width digits are not digits                     |

  @ID-002 @positive
  Scenario Outline: A valid UPN is accepted and stored: <why>
    Given a council manager "Mo" of council 202
    When they create a child "Ula" <upn>
    Then the response status is 201
    And the record of "Ula" holds its UPN as sent, without spaces and in capitals

    Examples:
      | upn                                        | why                                        |
      | with a UPN issued by council 202           | a permanent UPN                            |
      | with a temporary UPN issued by council 202 | a temporary UPN, a letter in position 13   |
      | with the unverified UPN "B801200005001"    | the first published example                |
      | with the unverified UPN "P207000016049"    | the second published example               |
      | with the unverified UPN "R20299992500A"    | the published temporary UPN                |

  @ID-002 @negative
  Scenario Outline: A UPN that breaks a rule is refused: <why>
    Given a council manager "Mo" of council 202
    When they try to create a child "Ula" with the UPN "<upn>"
    Then the response status is 422
    And the response is a problem with code "INVALID_UPN"
    And the problem flags the UPN with "INVALID_UPN"
    And no child "Ula" was created

    Examples:
      | upn            | why                                                           |
      | Q207000016049  | the widely copied example has the wrong check letter          |
      | C207000016049  | the wrong check letter                                        |
      | B80120000500   | twelve characters                                             |
      | B8012000050010 | fourteen characters                                           |
      | P207000A16049  | a letter among characters 2 to 12                             |
      | A20700001604I  | I in position 13                                              |
      | K20700001604O  | O in position 13                                              |
      | R20700001604S  | S in position 13                                              |
      | A999900025001  | 999 is not a council code                                     |
      | M000900025001  | 000 is not a council code                                     |
      | 1207000016049  | a digit where the check letter belongs                        |

  @ID-003 @positive
  Scenario: A live council takes responsibility for a new child
    Given a council manager "Cu" of council 942
    When they create a child "Cal" for council 942
    Then the response status is 201
    And the record of "Cal" names council 942 as responsible

  @ID-003 @positive
  Scenario: A council that no longer exists stays valid in history
    Given a council manager "Mo" of council 202
    When they create a child "Ula" with a UPN issued by council 909
    Then the response status is 201
    When an anonymous caller lists the councils
    Then the response status is 200
    And council 909 is listed as terminated with the successors 942 and 943
    And council 942 is listed as live
    And council 943 is listed as live

  @ID-003 @negative
  Scenario: A council that no longer exists cannot take responsibility for a child
    Given a council manager "Mo" of council 202
    When they try to create a child "Cal" for council 909
    Then the response status is 422
    And the response is a problem with code "LA_TERMINATED"
    And the problem names the successor councils 942 and 943
    And the problem flags the responsible council with "LA_TERMINATED"
    And no child "Cal" was created

  @ID-003 @negative
  Scenario Outline: An unknown council code is refused (<code>)
    Given a council manager "Mo" of council 202
    When they try to create a child "Cal" for council <code>
    Then the response status is 422
    And the response is a problem with code "INVALID_LA_CODE"
    And the problem flags the responsible council with "INVALID_LA_CODE"
    And no child "Cal" was created

    Examples:
      | code |
      | 999  |
      | 000  |

  @ID-004 @positive
  Scenario: Each child gets its own id, which stays the same when the record changes
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    And a child "Ben" known to council 202
    And a child "Cal" known to council 202
    Then the children "Ada", "Ben" and "Cal" have different ids
    When "Mo" renames the child "Ada"
    Then the response status is 200
    And the response is the record of the child "Ada"
    When "Mo" reads the child "Ada"
    Then the response status is 200
    And the response is the record of the child "Ada"

  @ID-004 @negative
  Scenario: A child's id encodes no personal data and no sequence
    Given a child "Ada" known to council 202
    And a child "Ben" known to council 201
    And a child "Cal" known to council 202
    Then the ids of "Ada", "Ben" and "Cal" encode no council, date of birth, identifier, name or sequence

  @ID-004 @negative
  Scenario: An update cannot change a child's id
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    When "Mo" tries to change the id of the child "Ada"
    Then the response status is 422
    When "Mo" reads the child "Ada"
    Then the response status is 200
    And the response is the record of the child "Ada"
    And no record answers to the id tried for "Ada"

  @ID-005 @negative
  Scenario Outline: A verified <identifier> that an active record holds cannot be used again (<written>)
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    When they try to create another child "Ben" with the verified <identifier> of "Ada" <written>
    Then the response status is 409
    And the response is a problem with code "DUPLICATE_CANDIDATE"
    And the problem names "Ada" as the existing record
    When "Mo" searches by the <identifier> of the child "Ada"
    Then the search finds only the child "Ada"

    Examples:
      | identifier | written             |
      | NHS number | as it is stored     |
      | NHS number | written with spaces |
      | UPN        | as it is stored     |

  @ID-005 @positive
  Scenario Outline: An unverified <identifier> does not block a new record
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    When they create another child "Ben" with the unverified <identifier> of "Ada"
    Then the response status is 201
    And "Ada" and "Ben" are different records

    Examples:
      | identifier |
      | NHS number |
      | UPN        |

  @ID-006 @positive
  Scenario: The survivor of a merge holds everything both records held
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202 with:
      | /formerNames | [{"given": ["Adaeze"], "family": "Okonkwo-Baptiste"}] |
    And a child "Bea" known to council 202 with:
      | /formerNames | [{"given": ["Beatriz"], "family": "Nuñez Ó Faoláin"}] |
    And the child "Ada" has a HEALTH_VISITOR involvement on record
    And the child "Bea" has a YOUTH_OFFENDING involvement on record
    And the child "Ada" has a HAS_INFORMATION_TO_SHARE indicator on record
    And the child "Bea" has a CHILD_PROTECTION_PLAN indicator on record
    When "Mo" merges the child "Bea" into the child "Ada"
    Then the response status is 200
    And the record of "Ada" holds the identifiers of "Ada" and "Bea"
    And the record of "Ada" holds the former names of "Ada" and "Bea"
    And the record of "Ada" holds the HEALTH_VISITOR and YOUTH_OFFENDING involvements
    And the record of "Ada" holds the HAS_INFORMATION_TO_SHARE and CHILD_PROTECTION_PLAN indicators
    And the record of "Bea" reads as MERGED into "Ada"

  @ID-006 @positive
  Scenario Outline: The survivor of a merge is shielded when the <shielded> record was
    Given a council manager "Mo" of council 202
    And a child "Ada" known to council 202
    And a child "Bea" known to council 202
    And the child "<child>" is shielded by its council
    When "Mo" merges the child "Bea" into the child "Ada"
    Then the response status is 200
    And the record of "Ada" is shielded
    And the record of "Bea" reads as MERGED into "Ada"

    Examples:
      | shielded  | child |
      | merged    | Bea   |
      | surviving | Ada   |

  @ID-006 @negative
  Scenario Outline: Only the responsible council's management can merge records (<who>)
    Given <actor>
    And a child "Ada" known to council 202
    And a child "Bea" known to council 202
    When they try to merge the child "Bea" into the child "Ada"
    Then the response status is 403
    And the response is a problem with code "FORBIDDEN"
    And the record of "Bea" is still active and not merged
    And the record of "Ada" is still active and not merged

    Examples:
      | who                           | actor                                                |
      | a practitioner                | a practitioner from the education sector of council 202 |
      | a social worker               | a social worker of council 202                       |
      | another council's management  | a council manager of council 201                     |

  @ID-007 @positive
  Scenario: A superseded NHS number still finds the child and is shown as superseded
    Given a council manager "Mo" of council 202
    And a practitioner "Hana" from the health sector of council 202
    And a child "Ada" known to council 202
    When "Mo" replaces the NHS number of the child "Ada", marking the old one SUPERSEDED
    Then the response status is 200
    When "Hana" searches by the NHS number of the child "Ada"
    Then the search finds only the child "Ada"
    And the result for "Ada" shows its old NHS number as SUPERSEDED
    And the result for "Ada" shows its new NHS number as CURRENT
    When "Hana" searches by the new NHS number of the child "Ada"
    Then the search finds only the child "Ada"

  @ID-007 @negative
  Scenario: A superseded NHS number is never shown as the current one
    Given a council manager "Mo" of council 202
    And a practitioner "Hana" from the health sector of council 202
    And a child "Ada" known to council 202
    When "Mo" replaces the NHS number of the child "Ada", marking the old one SUPERSEDED
    Then the response status is 200
    When "Hana" reads the child "Ada"
    Then the response status is 200
    And the result for "Ada" shows its old NHS number as SUPERSEDED
    And the result for "Ada" shows its new NHS number as the only current one
