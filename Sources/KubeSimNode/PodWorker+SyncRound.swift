import KubeSimCore

/// A pod's sync round: the containers the kubelet starts together, whose status is
/// written once the round ends (see PodWorker.startsInFlight).
extension PodWorker {
    /// Starts the containers of one sync round; the status is written when the last has
    /// started or failed to (and, when images must be pulled, once as the pulls begin).
    func startInRound(_ round: [ContainerSlot]) {
        guard !round.isEmpty else { return }
        for s in round where !s.inRound { s.inRound = true; startsInFlight += 1 }
        for s in round { startContainer(s) }
    }

    /// A container of the round started, or failed to: the last one ends the round.
    func endRound(_ slot: ContainerSlot) {
        guard slot.inRound else { return }
        slot.inRound = false
        startsInFlight -= 1
        if startsInFlight == 0 && statusDeferred { statusDeferred = false; kubelet.statusChanged(self) }
    }

    /// Termination ends the round at once: what the pod shows is written now (unless
    /// the machine stopped, which reports nothing).
    func abandonRound(report: Bool = true) {
        for s in slots { s.inRound = false }
        startsInFlight = 0
        if statusDeferred { statusDeferred = false; if report { kubelet.statusChanged(self) } }
    }
}
