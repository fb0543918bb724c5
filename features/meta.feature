Feature: API metadata
  Every system publishes, without authentication, the version of the Child Record Exchange API
  it implements and the version of every code system it uses (VER-003). Clients rely on these
  versions to understand UNKNOWN_CODE errors (ERR-003).

  @VER-003 @positive
  Scenario: The metadata publishes the API version and the version of every code system
    When an anonymous caller reads the API metadata
    Then the response status is 200
    And the published API version has the contract's major version
    And the metadata publishes every code system of the contract at its version

  @VER-003 @negative
  Scenario: An unknown code is refused naming the code-system version the metadata publishes
    Given a practitioner from the education sector of council 202
    When they try to create a child with "/gender" set to "UNICORN"
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_CODE"
    And the problem names the code system "gender" at the version the metadata publishes
