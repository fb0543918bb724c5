Feature: Errors
  Errors are answered in one predictable, safe form, so that client systems can act on them and
  nothing leaks through them.

  - Every error is an application/problem+json document (ERR-001) whose code is in the
    published registry, with the HTTP status the registry gives that code, and with the
    request's X-Correlation-ID as correlationId. It holds no personal data from the request
    (names, date of birth, NHS number) and no stack trace or source location.
  - A body with several invalid fields is answered with every field error at once (ERR-002),
    each with an RFC 6901 JSON Pointer into the body. The top-level code is the fields' code
    when they all share one, else VALIDATION_FAILED.
  - Writes with properties the API does not define get 422 UNKNOWN_PROPERTY naming them, and
    codes outside a code system get 422 UNKNOWN_CODE naming the code system and the version
    that /v1/meta publishes (ERR-003). A refused write changes nothing.
  - Under load a system may shed requests with 429 or 503, but always with a Retry-After in
    seconds or as an HTTP date (ERR-004). The burst doubles (up to 256 at once) until the
    system sheds something; a system that sheds nothing leaves the check not exercised, and
    the report says so rather than pass it. A create repeated with the same Idempotency-Key and
    body returns the original answer and never makes a second record; the same key with a
    different body gets 422 IDEMPOTENCY_KEY_REUSED.

  @ERR-001 @positive
  Scenario Outline: A request that <case> gets a well-formed problem
    Given a child "Amara" known to council 202
    When a request that <case> is sent about the child "Amara"
    Then the answer is a problem document with a registered code and its registered status
    And the problem carries the request's correlation id
    And the problem holds none of the child's personal data and no stack trace

    Examples:
      | case                                |
      | reads a record that does not exist  |
      | reads it without a token            |
      | reads it as an auditor              |
      | reads it without a purpose of use   |
      | deletes it                          |
      | updates it without If-Match         |

  @ERR-001 @negative
  Scenario Outline: A request that <case> gets a problem that repeats none of what was sent
    Given a child "Amara" known to council 202
    When a request that <case> is sent about the child "Amara"
    Then the answer is a problem document with a registered code and its registered status
    And the problem carries the request's correlation id
    And the problem holds none of the child's personal data and no stack trace

    Examples:
      | case                                        |
      | creates it again with an invalid NHS number |
      | creates it again as malformed JSON          |
      | creates it again as plain text              |
      | searches for it by family name alone        |

  @ERR-002 @positive
  Scenario: Several fields with one shared error are reported together under that code
    Given a practitioner "Priya" from the education sector of council 202
    When "Priya" tries to create the child "Nia" with:
      | /gender      | UNICORN     |
      | /whereabouts | ON_THE_MOON |
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_CODE"
    And the problem lists a field error at each of these pointers:
      | /gender      |
      | /whereabouts |

  @ERR-002 @negative
  Scenario: Every invalid field is reported at once, each with its JSON Pointer
    Given a practitioner "Priya" from the education sector of council 202
    When "Priya" tries to create the child "Nia" with:
      | /identifiers/0/verified | "yes"        |
      | /gender                 | UNICORN      |
      | /dateOfBirth            | "not-a-date" |
      | /name/family            | (absent)     |
    Then the response status is 422
    And the response is a problem with code "VALIDATION_FAILED"
    And the problem lists a field error at each of these pointers:
      | /identifiers/0/verified |
      | /gender                 |
      | /dateOfBirth            |
      | /name/family or /name   |

  @ERR-003 @positive
  Scenario: A create with only defined properties and codes is accepted
    Given a practitioner "Priya" from the education sector of council 202
    When "Priya" creates a child "Nia"
    Then the response status is 201

  @ERR-003 @negative
  Scenario Outline: A create with the unknown property <pointer> is refused and creates nothing
    Given a practitioner "Priya" from the education sector of council 202
    When "Priya" tries to create the child "Nia" with:
      | <pointer> | <value> |
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_PROPERTY"
    And the problem lists a field error at each of these pointers:
      | <pointer> |
    And no child "Nia" was created

    Examples:
      | pointer             | value                 |
      | /favouriteColour    | "teal"                |
      | /name/nickname      | "Nene"                |
      | /address/flatNumber | "2B"                  |
      | /assessmentSummary  | "Concerns about home" |

  @ERR-003 @negative
  Scenario Outline: A create with an unknown <system> code is refused naming the published code-system version
    Given a practitioner "Priya" from the education sector of council 202
    When "Priya" tries to create the child "Nia" with:
      | <pointer> | <value> |
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_CODE"
    And the problem's field error at "<pointer>" has the code "UNKNOWN_CODE"
    And the problem names the code system "<system>" at the version the metadata publishes
    And no child "Nia" was created

    Examples:
      | pointer                       | value       | system       |
      | /gender                       | UNICORN     | gender       |
      | /whereabouts                  | ON_THE_MOON | whereabouts  |
      | /parentsCarers/0/relationship | GODPARENT   | relationship |

  @ERR-003 @negative
  Scenario: An update with an unknown property is refused and changes nothing
    Given a child "Amara" known to council 202
    And a social worker "Sam" from council 202
    When "Sam" tries to update the child "Amara" with its current ETag and the body:
      """
      {"name": {"family": "Fairweather"}, "favouriteColour": "teal"}
      """
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_PROPERTY"
    And the problem lists a field error at each of these pointers:
      | /favouriteColour |
    And the child "Amara" is unchanged

  @ERR-004 @positive @exclusive
  Scenario: A create repeated with the same Idempotency-Key returns the original answer and makes one record
    Given a social worker "Sam" from council 202
    When "Sam" creates the child "Nia" with an Idempotency-Key
    And "Sam" sends the same create again with the same Idempotency-Key
    Then the repeated create answered exactly as the first
    When "Sam" sends the same create again 3 times at once with the same Idempotency-Key
    Then every successful answer to the create names the same child
    And exactly one record of that child exists

  @ERR-004 @negative
  Scenario: Reusing an Idempotency-Key with a different body is refused and creates nothing
    Given a social worker "Sam" from council 202
    When "Sam" creates the child "Nia" with an Idempotency-Key
    And "Sam" sends a different child with the same Idempotency-Key
    Then the response status is 422
    And the response is a problem with code "IDEMPOTENCY_KEY_REUSED"
    And exactly one record of that child exists

  @ERR-004 @negative @exclusive
  Scenario: A burst of requests is answered, or shed with a Retry-After
    Given a child "Amara" known to council 202
    And a practitioner "Priya" from the health sector of council 201
    When "Priya" reads the child "Amara" 64 times at once
    Then every answer is a success, or a 429 or 503 with a valid Retry-After
