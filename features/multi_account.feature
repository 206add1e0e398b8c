@multi_account
Feature: Several Twilio accounts, each on its own webhookPath
  channels.sms.accounts.<id>, each with its own credentials and a distinct
  webhookPath; each replies from its own sender.
  Specification: docs/specification.md#several-accounts

  Background:
    Given a Twilio account "support" with an SMS number on path "/webhooks/sms/support"
    And a Twilio account "sales" with an SMS number on path "/webhooks/sms/sales"

  @guide
  Scenario: Each account answers on its own path from its own number
    Given the SMS channel has accounts "support" and "sales" with dmPolicy "open" and allowFrom ["*"]
    And the gateway is running
    When phone "A" texts account "support" "reply exactly support here"
    Then phone "A" gets the reply "support here"
    And the reply to phone "A" came from the number of "support" with the credentials of "support"
    When phone "B" texts account "sales" "reply exactly sales here"
    Then phone "B" gets the reply "sales here"
    And the reply to phone "B" came from the number of "sales" with the credentials of "sales"

  @guide
  Scenario: One account's token cannot sign for the other's path
    Given the SMS channel has accounts "support" and "sales" with dmPolicy "open" and allowFrom ["*"]
    And the gateway is running
    When an inbound form from phone "A" for "sales" signed with the auth token of "support" is posted to the webhook of "sales"
    Then the gateway answers 403 with body "Invalid signature"

  @guide
  Scenario: Two accounts on one webhookPath: the second does not start, clearly
    Given the SMS channel has accounts "support" and "sales" with dmPolicy "open" and allowFrom ["*"]
    And both accounts use webhookPath "/webhooks/sms/support"
    And the gateway is running fresh
    Then the gateway reports an error naming "sales" and "/webhooks/sms/support"
    When phone "A" texts account "support" "reply exactly first one works"
    Then phone "A" gets the reply "first one works"

  @observed
  Scenario: The top-level account and a named one on one webhookPath: the named one does not start, even one named before "default"
    Given a Twilio account with an SMS number
    And a second Twilio account "alerts" on the same webhook path
    And the SMS channel is configured as in the guide with dmPolicy "open", and account "alerts" on the same webhookPath
    And the channel's allowFrom is ["*"]
    And the gateway is running fresh
    Then the gateway reports an error naming "alerts" and "/webhooks/sms"
    When phone "A" texts "reply exactly the top-level one works"
    Then phone "A" gets the reply "the top-level one works"

  @guide
  Scenario: Giving a second account the path of a running one leaves the running one serving
    Given the SMS channel has accounts "support" and "sales" with dmPolicy "open" and allowFrom ["*"]
    And the gateway is running
    When the operator applies a patch giving account "sales" the webhookPath "/webhooks/sms/support"
    Then the gateway reports an error naming "sales" and "/webhooks/sms/support"
    When phone "A" texts account "support" "reply exactly still serving"
    Then phone "A" gets the reply "still serving"
