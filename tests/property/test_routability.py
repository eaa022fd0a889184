"""The router's fast routability check says exactly what `unroutable_reason` (used by `explain`)
says, for any mix of slots, states, statuses and cross-channel settings."""

from hypothesis import given
from hypothesis import strategies as st

from switchboard.domain.model import (
    MAX_CONCURRENCY,
    Agent,
    AgentId,
    Channel,
    Contact,
    ContactId,
    ContactState,
    CrossChannelBehavior,
    InitiationMethod,
    QueueId,
    RoutingProfile,
    RoutingProfileId,
    Slot,
    StatusId,
    StatusType,
)
from switchboard.domain.routing import routable_channels, unroutable_reason

concurrency = st.dictionaries(
    st.sampled_from(list(Channel)), st.integers(min_value=1, max_value=3), min_size=1
).map(lambda d: {ch: min(n, MAX_CONCURRENCY[ch]) for ch, n in d.items()})
cross = st.dictionaries(st.sampled_from(list(Channel)), st.sampled_from(list(CrossChannelBehavior)))
slots = st.lists(
    st.tuples(st.sampled_from(list(Channel)), st.sampled_from(list(ContactState))), max_size=5
)


@given(
    concurrency=concurrency,
    cross=cross,
    held=slots,
    status_type=st.sampled_from(list(StatusType)),
    next_status=st.booleans(),
)
def test_fast_routability_matches_the_explained_rule(
    concurrency: dict[Channel, int],
    cross: dict[Channel, CrossChannelBehavior],
    held: list[tuple[Channel, ContactState]],
    status_type: StatusType,
    next_status: bool,
) -> None:
    profile = RoutingProfile(RoutingProfileId("p"), "P", concurrency, cross, (), None)
    agent = Agent(
        id=AgentId("a"),
        username="a",
        first_name="A",
        last_name="B",
        profile_id=profile.id,
        acw_timeout_ms={},
        auto_accept={},
        status_id=StatusId("s"),
        status_start=0,
    )
    if next_status:
        agent.next_status_id = StatusId("break")
    for number, (channel, state) in enumerate(held):
        contact = Contact(
            id=ContactId(f"c{number}"),
            channel=channel,
            method=InitiationMethod.INBOUND,
            queue_id=QueueId("q"),
            initiated_at=0,
            arrival_seq=number,
        )
        agent.slots[contact.id] = Slot(contact, state, 0)
    explained = {
        channel
        for channel in Channel
        if unroutable_reason(agent, profile, status_type, channel) is None
    }
    assert routable_channels(agent, profile, status_type) == explained
