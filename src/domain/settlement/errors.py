from domain.shared.errors import Conflict


class BatchNotLive(Conflict):
    """A settler's step names a batch that is not live, or not in the state the step needs (another settler
    went first, or the batch ended)."""

    code = "batch_not_live"
