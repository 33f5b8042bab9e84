//! Who may see what: the four scopes of mixi (2008) and the viewer's relation to an owner.
//!
//! Every read path asks [`Scope::allows`] with the [`Relation`] between the viewer and the
//! owner of the thing read. Keeping this one function small and exhaustively tested is what
//! keeps a friends-only diary from leaking through a list, a feed, a search or an API.

use serde::{Deserialize, Serialize};

/// How far something a member wrote may travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every logged-in member ("全体に公開"). Never people who are not logged in.
    Public,
    /// Friends and friends of friends ("友人の友人まで公開").
    Fof,
    /// Friends only ("友人まで公開").
    Friends,
    /// Nobody but the owner ("非公開").
    Private,
}

impl Scope {
    /// All scopes, widest first (the order of a scope menu).
    pub const ALL: [Scope; 4] = [Scope::Public, Scope::Fof, Scope::Friends, Scope::Private];

    /// The stable name used in forms, URLs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Fof => "fof",
            Scope::Friends => "friends",
            Scope::Private => "private",
        }
    }

    /// Parses the stable name; anything else is `None` (a form must then say so).
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Whether a viewer in `relation` to the owner may see something with this scope.
    pub fn allows(self, relation: Relation) -> bool {
        match relation {
            Relation::Owner => true,
            Relation::Blocked | Relation::Anonymous => false,
            Relation::Friend => self != Scope::Private,
            Relation::FriendOfFriend => matches!(self, Scope::Public | Scope::Fof),
            Relation::Member => self == Scope::Public,
        }
    }
}

/// The viewer's relation to the owner of what is being read, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The viewer is the owner.
    Owner,
    /// Mutual friends (マイミク).
    Friend,
    /// Not a friend, but a friend of one of the owner's friends.
    FriendOfFriend,
    /// Any other logged-in member.
    Member,
    /// Not logged in.
    Anonymous,
    /// One of the two blocked the other: nothing is visible either way.
    Blocked,
}

impl Relation {
    /// Derives the relation from facts a store can answer cheaply. A block in either direction
    /// wins over everything except being the owner.
    pub fn from_facts(
        is_owner: bool,
        logged_in: bool,
        blocked_either_way: bool,
        friends: bool,
        share_a_friend: bool,
    ) -> Relation {
        if is_owner {
            Relation::Owner
        } else if !logged_in {
            Relation::Anonymous
        } else if blocked_either_way {
            Relation::Blocked
        } else if friends {
            Relation::Friend
        } else if share_a_friend {
            Relation::FriendOfFriend
        } else {
            Relation::Member
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix, written out by hand from mixi's help page semantics so that a change
    /// to `allows` has to change this table too.
    #[test]
    fn scope_matrix() {
        use Relation::*;
        let expected: [(Relation, [bool; 4]); 6] = [
            //            public fof    friends private
            (Owner, [true, true, true, true]),
            (Friend, [true, true, true, false]),
            (FriendOfFriend, [true, true, false, false]),
            (Member, [true, false, false, false]),
            (Anonymous, [false, false, false, false]),
            (Blocked, [false, false, false, false]),
        ];
        for (relation, row) in expected {
            for (scope, allowed) in Scope::ALL.into_iter().zip(row) {
                assert_eq!(scope.allows(relation), allowed, "{scope:?} for {relation:?}");
            }
        }
    }

    #[test]
    fn names_round_trip_and_reject_others() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("everyone"), None);
        assert_eq!(Scope::parse("PUBLIC"), None);
    }

    #[test]
    fn block_beats_friendship_but_not_ownership() {
        assert_eq!(Relation::from_facts(false, true, true, true, true), Relation::Blocked);
        assert_eq!(Relation::from_facts(true, true, true, true, true), Relation::Owner);
        assert_eq!(Relation::from_facts(false, false, false, true, false), Relation::Anonymous);
        assert_eq!(Relation::from_facts(false, true, false, false, true), Relation::FriendOfFriend);
        assert_eq!(Relation::from_facts(false, true, false, false, false), Relation::Member);
    }
}
