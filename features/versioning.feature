Feature: Versions and concurrent updates
  Two people updating one child's record at the same time must never silently overwrite each
  other.

  - Every update (PATCH) names the version it was based on in If-Match (VER-001). Without
    If-Match it gets 428 PRECONDITION_REQUIRED; with a version that is no longer current it gets
    412 PRECONDITION_FAILED. With the current version it is applied, the version goes up by one
    and the new ETag names it.
  - A refused update changes nothing: not the fields it sent, not the version, not part of it.
  - Concurrent updates of one record are serialised (VER-002): of several updates sent at the
    same moment with the same If-Match, exactly one wins; the others get 412 and, reading
    again, see the winner's change at the new version.
  - The API version and code-system versions in /v1/meta (VER-003) are checked in
    meta.feature.

  @VER-001 @positive
  Scenario: An update with the current ETag is applied at the next version
    Given a child "Amara" known to council 202
    And a social worker "Sam" from council 202
    When "Sam" renames the child "Amara" to "Fairweather" with its current ETag
    Then the response status is 200
    And the child "Amara" now has the family name "Fairweather" at the next version

  @VER-001 @negative
  Scenario: An update without If-Match is refused and changes nothing
    Given a child "Amara" known to council 202
    And a social worker "Sam" from council 202
    When "Sam" renames the child "Amara" to "Fairweather" without If-Match
    Then the response status is 428
    And the response is a problem with code "PRECONDITION_REQUIRED"
    And the child "Amara" is unchanged

  @VER-001 @negative
  Scenario: An update based on an old version is refused and changes nothing
    Given a child "Amara" known to council 202
    And a social worker "Sam" from council 202
    And "Sam" renames the child "Amara" to "Fairweather" with its current ETag
    When "Sam" renames the child "Amara" to "Greenhalgh" with the ETag it was created with
    Then the response status is 412
    And the response is a problem with code "PRECONDITION_FAILED"
    And the child "Amara" is unchanged

  @VER-001 @negative
  Scenario: An update with one invalid field changes none of its fields
    Given a child "Amara" known to council 202
    And a council manager "Mo" of council 202
    When "Mo" tries to update the child "Amara" with its current ETag and the body:
      """
      {"name": {"family": "Fairweather"}, "whereabouts": "ON_THE_MOON"}
      """
    Then the response status is 422
    And the child "Amara" is unchanged

  @VER-002 @positive @exclusive
  Scenario: Of two updates at the same moment one wins and the other sees its result
    Given a child "Amara" known to council 202
    When 2 social workers of council 202 rename the child "Amara" at the same moment with the same ETag
    Then exactly one rename succeeded and every other was refused with 412 PRECONDITION_FAILED
    And each refused social worker reading the child "Amara" again sees the winning rename at the new version

  @VER-002 @negative @exclusive
  Scenario: Of several updates at the same moment with the same ETag, only one is applied
    Given a child "Amara" known to council 202
    When 5 social workers of council 202 rename the child "Amara" at the same moment with the same ETag
    Then exactly one rename succeeded and every other was refused with 412 PRECONDITION_FAILED
    And each refused social worker reading the child "Amara" again sees the winning rename at the new version
