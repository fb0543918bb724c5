Feature: Transfers between councils
  When a child moves to another council's area, responsibility for the child's record moves with
  them, from the sending council's system to the receiving council's, which may be another
  supplier's product. Every run puts a peer system beside the target (another council's system,
  the reference unless the run names one) and serves the national directory through which the
  two find each other, so that each rule is seen in both directions: the target as sender and
  the target as receiver. The harness sees only HTTP: it waits for a transfer's state by reading
  the transfer on each system until it changes, within a bounded time.

  The rules:
  - XFER-001: a move to another council's area is proposed as a transfer (POST /v1/transfers);
    responsibility is never reassigned silently, for instance by changing the record's
    responsible council or its address.
  - XFER-002: the sending council stays responsible until the transfer is COMPLETED, which
    happens only after the receiving council's management accepted and the receiver reported
    the outcome; a rejected transfer leaves responsibility where it was. Responsibility is never
    with no council nor with two.
  - XFER-003: proposing, delivering and accepting are idempotent on Idempotency-Key: repeated
    submissions give one transfer, and a different package under the same transfer id is
    refused.
  - XFER-004: on completion everything arrives unchanged: the record, involvements, indicators,
    shielding and consents, as the responsible council's management sees them (audit metadata,
    the version and the responsible council apart). A round trip A → B → A gives an equal record.
  - XFER-005: a transfer to a terminated council is refused with 422 LA_TERMINATED naming the
    successor councils, whether proposed to the target or delivered to it.
  - XFER-006: a child who leaves England keeps their record, with one of the three intention
    statements (LEFT_ENGLAND_INTENDS_RETURN, LEFT_ENGLAND_NOT_RETURNING,
    LEFT_ENGLAND_INTENTION_UNKNOWN), and the responsible council unchanged.

  # ---------------------------------------------------------------- XFER-001

  @XFER-001 @XFER-002 @positive @peer @pair
  Scenario: The target proposes a transfer to another council's system and stays responsible meanwhile
    Given a child "Amara" known to council 202 with everything a transfer carries
    When council 202's management proposes a transfer of "Amara" to the peer's council
    Then the response status is 201
    And the transfer of "Amara" is PROPOSED on the target
    And the record of "Amara" names council 202 as responsible on the target
    When the peer has received the transfer of "Amara"
    Then the record of "Amara" names council 202 as responsible on the target

  @XFER-001 @negative
  Scenario: Responsibility cannot be reassigned by editing the record
    Given a child "Amara" known to council 202
    When council 202's management tries to make council 204 responsible for "Amara" by editing the record
    Then the edit is refused
    And the record of "Amara" names council 202 as responsible on the target

  # ---------------------------------------------------------------- XFER-002

  @XFER-002 @positive @peer @pair
  Scenario: The target as sender completes only after the receiving system reports the outcome
    Given a child "Amara" known to council 202 with everything a transfer carries
    When council 202's management proposes a transfer of "Amara" to the peer's council
    And the peer has received the transfer of "Amara"
    Then the record of "Amara" names council 202 as responsible on the target
    When the peer's management accepts the transfer of "Amara"
    Then the transfer of "Amara" becomes COMPLETED on the target
    And the transfer of "Amara" becomes COMPLETED on the peer
    And the record of "Amara" names the peer's council as responsible on the target
    And the record of "Amara" names the peer's council as responsible on the peer

  @XFER-002 @positive @peer
  Scenario: The target as receiver takes responsibility only when the transfer completes
    Given a child "Bo" known to the peer's council with everything a transfer carries
    When the peer's management proposes a transfer of "Bo" to council 202
    Then the target has received the transfer of "Bo"
    And the record of "Bo" names the peer's council as responsible on the peer
    When council 202's management accepts the transfer of "Bo" on the target
    Then the transfer of "Bo" becomes COMPLETED on the peer
    And the transfer of "Bo" becomes COMPLETED on the target
    And the record of "Bo" names council 202 as responsible on the target
    And the record of "Bo" names council 202 as responsible on the peer

  @XFER-002 @negative @peer @pair
  Scenario: A transfer the receiving council rejects leaves the target responsible
    Given a child "Amara" known to council 202 with everything a transfer carries
    When council 202's management proposes a transfer of "Amara" to the peer's council
    And the peer has received the transfer of "Amara"
    And the peer's management rejects the transfer of "Amara"
    Then the transfer of "Amara" becomes REJECTED on the target
    And the record of "Amara" names council 202 as responsible on the target

  @XFER-002 @negative @peer
  Scenario: A transfer the target's council rejects leaves the sending council responsible
    Given a child "Bo" known to the peer's council with everything a transfer carries
    When the peer's management proposes a transfer of "Bo" to council 202
    And the target has received the transfer of "Bo"
    And council 202's management rejects the transfer of "Bo" on the target
    Then the transfer of "Bo" becomes REJECTED on the peer
    And the transfer of "Bo" becomes REJECTED on the target
    And the record of "Bo" names the peer's council as responsible on the peer

  # ---------------------------------------------------------------- XFER-003

  @XFER-003 @positive @peer
  Scenario: Proposing the same transfer twice with one Idempotency-Key gives one transfer
    Given a child "Amara" known to council 202
    When council 202's management proposes a transfer of "Amara" to the peer's council
    And council 202's management proposes the same transfer of "Amara" again
    Then both proposals name the same transfer
    When council 202's management proposes a transfer of "Amara" to the peer's council with a new Idempotency-Key
    Then the response status is 409
    And the response is a problem with code "INVALID_STATE"

  @XFER-003 @negative @peer
  Scenario: A package delivered twice to the target gives one transfer, and another package under its id is refused
    Given the peer system has delivered a transfer package of a new child "Cal" to the target
    When the peer system delivers the same package again
    Then both deliveries name the same transfer
    And the target holds the transfer of "Cal" once, PROPOSED and INBOUND
    When the peer system delivers a different package under the same transfer id
    Then the response status is 409
    And the response is a problem with code "INVALID_STATE"

  @XFER-003 @negative @peer
  Scenario: An acceptance repeated on the target with its Idempotency-Key decides once
    Given a child "Bo" known to the peer's council
    When the peer's management proposes a transfer of "Bo" to council 202
    And the target has received the transfer of "Bo"
    And council 202's management accepts the transfer of "Bo" on the target
    And council 202's management sends the same acceptance of "Bo" again
    Then both acceptances answer alike
    And the transfer of "Bo" becomes COMPLETED on the target
    And the transfer of "Bo" becomes COMPLETED on the peer

  @XFER-003 @negative @peer @pair
  Scenario Outline: A delivery the network disturbs still makes one transfer on the receiving system (<fault> the delivery)
    Given a child "Dara" known to council 202
    And the network between the systems <fault> the next delivery of "Dara" to the peer
    When council 202's management proposes a transfer of "Dara" to the peer's council
    Then the peer has received the transfer of "Dara"
    And the peer has taken in the transfer of "Dara" once, whatever the network did
    When the peer's management accepts the transfer of "Dara"
    Then the transfer of "Dara" becomes COMPLETED on the target
    And the transfer of "Dara" becomes COMPLETED on the peer
    And the peer has taken in the transfer of "Dara" once, whatever the network did

    Examples:
      | fault                |
      | drops the request of |
      | drops the answer to  |
      | duplicates           |
      | delays               |

  @XFER-003 @negative @peer @pair
  Scenario: Two deliveries the network reorders still make one transfer each on the receiving system
    Given a child "Fern" known to council 202
    And a child "Gus" known to council 202
    And the network between the systems holds back the next delivery of "Fern" to the peer until a delivery of "Gus" has overtaken it
    When council 202's management proposes a transfer of "Fern" to the peer's council
    And council 202's management proposes a transfer of "Gus" to the peer's council
    Then the peer has received the transfer of "Gus"
    And the peer has received the transfer of "Fern"
    And the peer has taken in the transfer of "Fern" once, whatever the network did
    When the peer's management accepts the transfer of "Fern"
    And the peer's management accepts the transfer of "Gus"
    Then the transfer of "Fern" becomes COMPLETED on the target
    And the transfer of "Gus" becomes COMPLETED on the target
    And the transfer of "Fern" becomes COMPLETED on the peer
    And the transfer of "Gus" becomes COMPLETED on the peer
    And the peer has taken in the transfer of "Fern" once, whatever the network did

  @XFER-003 @negative @peer
  Scenario Outline: A delivery to the target that the network disturbs still makes one transfer (<fault> the delivery)
    Given a child "Eli" known to the peer's council
    And the network between the systems <fault> the next delivery of "Eli" to the target
    When the peer's management proposes a transfer of "Eli" to council 202
    Then the target has received the transfer of "Eli"
    And the target has taken in the transfer of "Eli" once, whatever the network did
    When council 202's management accepts the transfer of "Eli" on the target
    Then the transfer of "Eli" becomes COMPLETED on the peer
    And the transfer of "Eli" becomes COMPLETED on the target
    And the target has taken in the transfer of "Eli" once, whatever the network did

    Examples:
      | fault                |
      | drops the answer to  |
      | duplicates           |

  # ---------------------------------------------------------------- XFER-004

  @XFER-004 @positive @peer @pair
  Scenario: Everything the target sends arrives at the receiving system unchanged
    Given a child "Amara" known to council 202 with everything a transfer carries
    When council 202's management proposes a transfer of "Amara" to the peer's council
    And the peer has received the transfer of "Amara"
    And the peer's management accepts the transfer of "Amara"
    Then the transfer of "Amara" becomes COMPLETED on the target
    And the transfer of "Amara" becomes COMPLETED on the peer
    And what the peer holds of "Amara" equals what the target held before the transfer

  @XFER-004 @positive @peer
  Scenario: Everything the peer sends arrives at the target unchanged
    Given a child "Bo" known to the peer's council with everything a transfer carries
    When the peer's management proposes a transfer of "Bo" to council 202
    And the target has received the transfer of "Bo"
    And council 202's management accepts the transfer of "Bo" on the target
    Then the transfer of "Bo" becomes COMPLETED on the peer
    And the transfer of "Bo" becomes COMPLETED on the target
    And what the target holds of "Bo" equals what the peer held before the transfer

  @XFER-004 @negative @peer
  Scenario: A record sent from the target and back again is equal to the original
    Given a child "Amara" known to council 202 with everything a transfer carries
    When council 202's management proposes a transfer of "Amara" to the peer's council
    And the peer has received the transfer of "Amara"
    And the peer's management accepts the transfer of "Amara"
    And the transfer of "Amara" becomes COMPLETED on the peer
    And the peer's management proposes a transfer of "Amara" back to council 202
    And the target has received the transfer of "Amara"
    And council 202's management accepts the transfer of "Amara" on the target
    Then the transfer of "Amara" becomes COMPLETED on the target
    And what the target holds of "Amara" equals what the target held before the first transfer

  @XFER-004 @negative @peer
  Scenario: A shielded child received by the target stays shielded from practitioners
    Given a child "Bo" known to the peer's council with everything a transfer carries
    When the peer's management proposes a transfer of "Bo" to council 202
    And the target has received the transfer of "Bo"
    And council 202's management accepts the transfer of "Bo" on the target
    Then the transfer of "Bo" becomes COMPLETED on the target
    And a practitioner of council 202 sees "Bo" on the target as shielded, without its address

  # ---------------------------------------------------------------- XFER-005

  @XFER-005 @positive
  Scenario: A transfer to a terminated council is refused, naming its successors
    Given a child "Amara" known to council 202
    When council 202's management proposes a transfer of "Amara" to council 909
    Then the response status is 422
    And the response is a problem with code "LA_TERMINATED"
    And the problem names the successor councils 942 and 943
    And the record of "Amara" names council 202 as responsible on the target

  @XFER-005 @negative @peer
  Scenario: A package delivered to the target for a terminated council is refused
    When the peer system delivers a transfer package of a new child "Cal" to the target for council 909
    Then the response status is 422
    And the response is a problem with code "LA_TERMINATED"

  # ---------------------------------------------------------------- XFER-006

  @XFER-006 @positive
  Scenario Outline: A child who leaves England keeps the record and the responsible council (<whereabouts>)
    Given a child "Amara" known to council 202
    When council 202's management records that "Amara" has left England: <whereabouts>
    Then the response status is 200
    And the record of "Amara" shows the whereabouts <whereabouts>
    And the record of "Amara" names council 202 as responsible on the target

    Examples:
      | whereabouts                    |
      | LEFT_ENGLAND_INTENDS_RETURN    |
      | LEFT_ENGLAND_NOT_RETURNING     |
      | LEFT_ENGLAND_INTENTION_UNKNOWN |

  @XFER-006 @negative
  Scenario: Leaving England needs one of the three intention statements
    Given a child "Amara" known to council 202
    When council 202's management records that "Amara" has left England: LEFT_ENGLAND
    Then the response status is 422
    And the response is a problem with code "UNKNOWN_CODE"
    And the record of "Amara" names council 202 as responsible on the target
