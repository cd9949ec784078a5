//! Each actor decrypts exactly its chunks of the visibility matrix; wrong or missing keys and
//! signets fail with the exact error. Each test runs on a classical and an all-hybrid (D8) object.

mod common;

use common::*;
use dime_core::keys::EncryptionSecretKey;
use dime_message::chunk::ChunkType;
use dime_message::*;

fn sample(world: &World) -> Vec<u8> {
    world.relay(&world.compose_with(&content(1, 1, 5000), &segments(4096), 1))
}

/// For every chunk, whether `actor` may decrypt it, checked against the error it gets.
fn check_matrix(object: &[u8], actor: Actor, keys: ActorKeys<'_>) {
    let env = Envelope::for_actor(object, &MessageLimits::default(), actor, keys).unwrap();
    let mut visible = Vec::new();
    for chunk in env.message().chunks() {
        let t = chunk.chunk_type();
        let result = env.decrypt(chunk.index);
        if t == ChunkType::Ephemeral {
            continue;
        }
        if t.actors().contains(&actor) {
            assert!(result.is_ok(), "{actor} must read {t}");
            visible.push(t);
        } else {
            assert_eq!(
                result.unwrap_err(),
                MessageError::NotVisible { index: chunk.index, chunk_type: t.byte(), actor },
            );
        }
    }
    visible.dedup();
    let expected: &[ChunkType] = match actor {
        Actor::Origin => &[
            ChunkType::Origin,
            ChunkType::Tree,
            ChunkType::AuthorFull,
            ChunkType::OriginMetaBounce,
            ChunkType::OriginDisplayBounce,
            ChunkType::OriginFull,
        ],
        Actor::Destination => &[
            ChunkType::Destination,
            ChunkType::OriginMetaBounce,
            ChunkType::OriginDisplayBounce,
            ChunkType::OriginFull,
        ],
        _ => &ChunkType::ALL[1..],
    };
    assert_eq!(visible, expected, "{actor}");
}

#[test]
fn visibility_matrix_holds_for_every_actor() {
    for world in worlds() {
        let object = sample(&world);
        check_matrix(&object, Actor::Author, world.author.keys());
        check_matrix(&object, Actor::Origin, world.origin.keys());
        check_matrix(&object, Actor::Destination, world.destination.keys());
        check_matrix(&object, Actor::Recipient, world.recipient.keys());
    }
}

#[test]
fn origin_and_destination_learn_only_their_envelope() {
    for world in worlds() {
        let object = sample(&world);
        let origin = Envelope::origin(&object, &MessageLimits::default(), world.origin.keys()).unwrap();
        assert_eq!(origin.origin_envelope().unwrap().destination, "lavabit.com");
        assert_eq!(
            origin.destination_envelope().unwrap_err(),
            MessageError::NotVisible { index: 2, chunk_type: 5, actor: Actor::Origin }
        );
        let dest = Envelope::destination(&object, &MessageLimits::default(), world.destination.keys()).unwrap();
        assert_eq!(dest.destination_envelope().unwrap().recipient, "ryan@lavabit.com");
        assert_eq!(
            dest.origin_envelope().unwrap_err(),
            MessageError::NotVisible { index: 1, chunk_type: 4, actor: Actor::Destination }
        );
    }
}

#[test]
fn wrong_key_gives_keyslot_rejected() {
    for world in worlds() {
        let object = sample(&world);
        // The origin's key used as if it were the recipient's.
        let err = Envelope::recipient(&object, &MessageLimits::default(), world.origin.keys())
            .unwrap()
            .open(&world.recipient.signet, &world.author.signet, &world.origin.signet)
            .unwrap_err();
        assert_eq!(err, MessageError::KeyslotRejected { index: 1, actor: Actor::Recipient });
        // The right key under the wrong actor: the KEK differs.
        let err = Envelope::author(&object, &MessageLimits::default(), world.recipient.keys())
            .unwrap()
            .open(&world.author.signet, None)
            .unwrap_err();
        assert_eq!(err, MessageError::KeyslotRejected { index: 1, actor: Actor::Author });
        let err = Envelope::destination(&object, &MessageLimits::default(), world.recipient.keys())
            .unwrap()
            .open(&world.origin.signet)
            .unwrap_err();
        assert_eq!(err, MessageError::KeyslotRejected { index: 2, actor: Actor::Destination });
    }
}

#[test]
fn secp256k1_key_is_an_unsupported_algorithm() {
    for world in worlds() {
        let object = sample(&world);
        let mut scalar = [0u8; 32];
        scalar[31] = 0x45;
        let legacy = EncryptionSecretKey::decode(&scalar).unwrap();
        assert_eq!(
            Envelope::recipient(&object, &MessageLimits::default(), &legacy).unwrap_err(),
            MessageError::UnsupportedAlgorithm("secp256k1 encryption keys")
        );
    }
}

#[test]
fn envelope_opened_for_another_actor_is_refused() {
    for world in worlds() {
        let object = sample(&world);
        // Opened for an actor chosen at run time, it becomes only that actor's envelope (with a
        // type, the mistake does not compile: see the `role` docs).
        let env = Envelope::for_actor(&object, &MessageLimits::default(), Actor::Origin, world.origin.keys()).unwrap();
        assert_eq!(
            env.into_role::<dime_message::open::role::Recipient>().unwrap_err(),
            MessageError::Input("the envelope was opened for another actor")
        );
    }
}

#[test]
fn wrong_signets_give_signet_mismatch() {
    for world in worlds() {
        let unsigned = world.compose(&content(1, 0, 10), 1);
        let object = world.relay(&unsigned);
        let origin = Envelope::origin(&unsigned, &MessageLimits::default(), world.origin.keys()).unwrap();
        assert_eq!(
            origin.open(&world.recipient.signet).unwrap_err(),
            MessageError::SignetMismatch { role: Actor::Author }
        );
        let dest = Envelope::destination(&object, &MessageLimits::default(), world.destination.keys()).unwrap();
        assert_eq!(
            dest.open(&world.destination.signet).unwrap_err(),
            MessageError::SignetMismatch { role: Actor::Origin }
        );
        let recipient = Envelope::recipient(&object, &MessageLimits::default(), world.recipient.keys()).unwrap();
        assert_eq!(
            recipient.open(&world.recipient.signet, &world.author.signet, &world.destination.signet).unwrap_err(),
            MessageError::SignetMismatch { role: Actor::Origin }
        );
    }
}

#[test]
fn countersignature_state_is_enforced() {
    for world in worlds() {
        let unsigned = world.compose(&content(1, 0, 10), 1);
        let object = world.relay(&unsigned);
        assert_eq!(world.open_destination(&unsigned).unwrap_err(), MessageError::NotCountersigned);
        assert_eq!(world.open_recipient(&unsigned).unwrap_err(), MessageError::NotCountersigned);
        assert_eq!(world.open_origin(&object).unwrap_err(), MessageError::AlreadyCountersigned);
        // A forged origin (someone else's POK) fails the destination's check.
        let forged = Envelope::origin(&unsigned, &MessageLimits::default(), world.origin.keys())
            .unwrap()
            .open(&world.author.signet)
            .unwrap()
            .countersign(&world.destination.pok)
            .unwrap();
        assert_eq!(
            world.open_destination(&forged).unwrap_err(),
            MessageError::BadSignature(dime_message::error::Signature::OriginMetaBounce)
        );
    }
}
